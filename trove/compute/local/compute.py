"""Servers of the local provider: guest agents as detached processes.

A server is the instance directory's ``server.json`` plus the guest agent
process whose pid is in ``run/guest.pid``. Its status is read from the
files and the process every time (no state in memory), so a new driver
object — a restarted taskmanager — sees exactly what the old one saw.
Every server gets its own loopback address (see ``addresses``).
"""

import configparser
import io
import os
import shlex
import shutil
import sys
import time

from oslo_log import log as logging

from trove.common import daemon, exception, states
from trove.compute import base
from trove.compute.local import addresses, layout, processes
from trove.conf import CONF

LOG = logging.getLogger(__name__)

INTENT_ACTIVE = 'active'
INTENT_SHUTDOWN = 'shutdown'
FAULT_LINES = 3
FAULT_CHARS = 240


def guest_command():
    """The command starting a guest agent, as a list."""
    if CONF.local.guest_agent_command:
        return shlex.split(CONF.local.guest_agent_command)
    return [os.path.join(os.path.dirname(sys.executable),
                         'trove-guestagent')]


def guest_info_contents(generic, paths, address, datastore_manager):
    """One coherent guest_info.conf: the generic keys from the
    taskmanager plus where this instance's files and address are."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str        # option names are case-sensitive
    parser.read_string(generic or '', source='guest_info')
    local = {
        'guest_state_dir': paths.run_dir,
        'engine_bind_host': address,
        'volume_driver': 'directory',
        'directory_volume_size_file': paths.volume_json,
        'log_dir': paths.logs_dir,
        'log_file': os.path.basename(paths.guest_log),
    }
    for key, value in local.items():
        parser.set(configparser.DEFAULTSECT, key, value)
    if not parser.has_section(datastore_manager):
        parser.add_section(datastore_manager)
    parser.set(datastore_manager, 'mount_point', paths.volume_dir)
    text = io.StringIO()
    parser.write(text)
    return text.getvalue()


def _log_tail(path, lines):
    try:
        with open(path, 'rb') as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(log.tell() - 16384, 0))
            text = log.read().decode('utf-8', 'replace')
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()][
        -lines:]


def failure_fault(paths):
    """Why an agent died before being ready: the end of its output."""
    tail = (_log_tail(paths.guest_out, FAULT_LINES)
            or _log_tail(paths.guest_log, FAULT_LINES))
    if not tail:
        return ('The guest agent exited before it was ready and wrote '
                'nothing; see %s.' % paths.logs_dir)
    output = ' | '.join(tail)
    if len(output) > FAULT_CHARS:
        output = '...' + output[-FAULT_CHARS:]
    return 'The guest agent exited before it was ready: %s' % output


class LocalComputeDriver(base.ComputeDriver):

    def __init__(self, instances_dir=None):
        self._instances_dir = instances_dir

    @property
    def instances_dir(self):
        return self._instances_dir or CONF.local.instances_dir

    def _layout(self, server_id):
        return layout.InstanceLayout(self.instances_dir, server_id)

    def _record(self, paths):
        record = layout.read_json(paths.server_json)
        if record is None:
            raise base.ServerNotFound(server_id=paths.instance_id)
        return record

    def _server(self, record, status, fault=None):
        return base.Server(
            id=record['id'], name=record.get('name'), status=status,
            flavor_id=(record.get('flavor') or {}).get('id'),
            addresses=[{'address': record['address'], 'type': 'private'}],
            fault=fault)

    # Creation ---------------------------------------------------------------
    def create_server(self, context, instance_id, name, flavor, image_id,
                      guest_files, datastore_manager, volume=None,
                      availability_zone=None, nics=None, access=None):
        paths = self._layout(instance_id)
        if os.path.exists(paths.server_json):
            raise exception.ComputeError(
                reason='server %s already exists' % instance_id)
        paths.make_dirs(paths.etc_dir, paths.run_dir, paths.logs_dir,
                        paths.volume_dir)
        port = addresses.standard_port(datastore_manager)
        with addresses.allocation_lock(self.instances_dir):
            address = addresses.pick_address(
                self.instances_dir, CONF.local.address_pool, port)
            record = {
                'id': instance_id, 'name': name, 'address': address,
                'flavor': dict(flavor or {}),
                'datastore_manager': datastore_manager,
                'image_id': image_id,
                'created': time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                         time.gmtime()),
                'status_intent': INTENT_ACTIVE,
            }
            # Written under the lock: from now on the address is taken.
            layout.write_json(paths.server_json, record)
        LOG.info('Server %s (%s) gets address %s', instance_id, name,
                 address)
        # The files may carry credentials (transport_url): owner only.
        layout.write_text(paths.guest_info_conf, guest_info_contents(
            guest_files.guest_info, paths, address, datastore_manager),
            mode=0o600)
        layout.write_text(paths.guest_conf, guest_files.guest_config or '',
                          mode=0o600)
        self._spawn_agent(paths)
        return self._server(record, states.ServerStatus.BUILD)

    def _spawn_agent(self, paths):
        for marker in (paths.agent_ready, paths.agent_was_ready):
            try:
                os.unlink(marker)
            except FileNotFoundError:
                pass
        command = guest_command() + ['--config-dir', paths.etc_dir]
        try:
            pid = daemon.spawn(command, pid_path=paths.guest_pid,
                               log_path=paths.guest_out)
        except (OSError, RuntimeError) as error:
            raise exception.ComputeError(
                reason='the guest agent of %s could not be started: %s'
                       % (paths.instance_id, error)) from error
        LOG.info('Started guest agent of %s as pid %s', paths.instance_id,
                 pid)
        return pid

    # Status -----------------------------------------------------------------
    def get_server(self, context, server_id):
        paths = self._layout(server_id)
        record = self._record(paths)
        if record.get('status_intent') == INTENT_SHUTDOWN:
            return self._server(record, states.ServerStatus.SHUTDOWN)
        pid = processes.agent_pid(paths.dir)
        if pid is not None:
            if os.path.exists(paths.agent_ready):
                if not os.path.exists(paths.agent_was_ready):
                    layout.write_text(paths.agent_was_ready, '%d\n' % pid)
                return self._server(record, states.ServerStatus.ACTIVE)
            started = self._started_at(paths)
            if (started is not None and time.time() - started
                    > CONF.local.guest_start_timeout):
                return self._server(
                    record, states.ServerStatus.ERROR,
                    fault='The guest agent did not start serving within '
                          '%d seconds ([local] guest_start_timeout); see '
                          '%s.' % (CONF.local.guest_start_timeout,
                                   paths.guest_out))
            return self._server(record, states.ServerStatus.BUILD)
        if (os.path.exists(paths.agent_was_ready)
                or os.path.exists(paths.agent_ready)):
            return self._server(record, states.ServerStatus.SHUTDOWN)
        return self._server(record, states.ServerStatus.ERROR,
                            fault=failure_fault(paths))

    @staticmethod
    def _started_at(paths):
        try:
            return os.stat(paths.guest_pid).st_mtime
        except OSError:
            return None

    # Lifecycle ---------------------------------------------------------------
    def _set_intent(self, paths, intent):
        record = self._record(paths)
        record['status_intent'] = intent
        layout.write_json(paths.server_json, record)
        return record

    def _stop_everything(self, paths):
        timeout = CONF.server_delete_time_out
        processes.stop_instance_processes(paths.dir, timeout=timeout)
        survivors = processes.instance_pids(paths.dir)
        if survivors:
            raise exception.ComputeError(
                reason='processes %s of server %s did not stop within %d '
                       'seconds' % (', '.join(map(str, survivors)),
                                    paths.instance_id, timeout))

    def delete_server(self, context, server_id):
        paths = self._layout(server_id)
        if not paths.exists():
            raise base.ServerNotFound(server_id=server_id)
        self._stop_everything(paths)
        # Removing the directory also releases the address.
        shutil.rmtree(paths.dir)
        if paths.exists():
            raise exception.ComputeError(
                reason='the directory of server %s could not be removed'
                       % server_id)
        LOG.info('Deleted server %s', server_id)

    def stop_server(self, context, server_id):
        paths = self._layout(server_id)
        self._set_intent(paths, INTENT_SHUTDOWN)
        self._stop_everything(paths)
        LOG.info('Stopped server %s', server_id)

    def start_server(self, context, server_id):
        paths = self._layout(server_id)
        self._set_intent(paths, INTENT_ACTIVE)
        if processes.agent_pid(paths.dir) is None:
            self._spawn_agent(paths)
        LOG.info('Started server %s', server_id)

    def reboot_server(self, context, server_id):
        """Restart the guest agent; its engine keeps running."""
        paths = self._layout(server_id)
        self._set_intent(paths, INTENT_ACTIVE)
        survivors = processes.stop_agent(paths.dir,
                                         timeout=CONF.reboot_time_out)
        if survivors:
            raise exception.ComputeError(
                reason='the guest agent of %s (pid %s) did not stop'
                       % (server_id, survivors[0]))
        self._spawn_agent(paths)
        LOG.info('Rebooted server %s', server_id)

    def resize_server(self, context, server_id, new_flavor):
        """Only the record changes: local servers share the host."""
        paths = self._layout(server_id)
        record = self._record(paths)
        record['flavor'] = dict(new_flavor or {})
        layout.write_json(paths.server_json, record)
        LOG.info('Server %s now has flavor %s', server_id,
                 record['flavor'].get('id'))
