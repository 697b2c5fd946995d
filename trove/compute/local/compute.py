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
import shutil
import time
import uuid

from oslo_log import log as logging

from trove.common import exception, states
from trove.compute import base
from trove.compute.local import (addresses, agent_launcher, choices, layout,
                                 processes, server_groups, volume)
from trove.conf import CONF

LOG = logging.getLogger(__name__)

INTENT_ACTIVE = 'active'
INTENT_SHUTDOWN = 'shutdown'
FAULT_LINES = 3
# Under instances_dir: the data directory templates the agents of this
# host share (trove.guestagent.datastore.data_templates).
TEMPLATES_DIR = '.engine-templates'
FAULT_CHARS = 240


def guest_info_contents(generic, paths, address, template_dir=''):
    """One coherent guest_info.conf: the generic keys from the
    taskmanager plus where this server's files and address are, and the
    data directory templates the agents of this host share. The data
    volume's paths come later, in prepare (from the attachment)."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str        # option names are case-sensitive
    parser.read_string(generic or '', source='guest_info')
    local = {
        'guest_state_dir': paths.run_dir,
        'engine_bind_host': address,
        'volume_driver': 'directory',
        'log_dir': paths.logs_dir,
        'log_file': os.path.basename(paths.guest_log),
        'engine_template_dir': template_dir,
    }
    for key, value in local.items():
        parser.set(configparser.DEFAULTSECT, key, value)
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

    def __init__(self, instances_dir=None, volumes_dir=None):
        self._instances_dir = instances_dir
        self._volumes_dir = volumes_dir

    @property
    def instances_dir(self):
        return self._instances_dir or CONF.local.instances_dir

    def warm_up(self):
        agent_launcher.warm_up()

    def _layout(self, server_id):
        return layout.ServerLayout(self.instances_dir, server_id)

    def _record(self, paths):
        record = layout.read_json(paths.server_json)
        if record is None:
            raise base.ServerNotFound(server_id=paths.server_id)
        return record

    def _server(self, record, status, fault=None):
        return base.Server(
            id=record['id'], name=record.get('name'), status=status,
            flavor_id=(record.get('flavor') or {}).get('id'),
            addresses=[{'address': record['address'], 'type': 'private'}],
            fault=fault,
            instance_id=(record.get('metadata') or {}).get(
                base.METADATA_INSTANCE_ID),
            availability_zone=record.get('availability_zone'),
            host=CONF.host)

    def capabilities(self):
        return base.Capabilities(
            provider='local',
            availability_zones=tuple(choices.availability_zones()),
            nics=False,
            # Every server runs on this one machine.
            locality_policies=('affinity',),
            volumes=True, online_volume_extend=True,
            # Its one loopback address serves as the public one too (the
            # view shows it public when the instance asked to be).
            public_access=True)

    # Creation ---------------------------------------------------------------
    def create_server(self, context, spec):
        self.validate(spec)
        server_id = str(uuid.uuid4())
        paths = self._layout(server_id)
        paths.make_dirs(paths.etc_dir, paths.run_dir, paths.logs_dir)
        port = addresses.standard_port(spec.datastore_manager)
        with addresses.allocation_lock(self.instances_dir):
            address = addresses.pick_address(
                self.instances_dir, CONF.local.address_pool, port)
            record = {
                'id': server_id, 'name': spec.name, 'address': address,
                'flavor': dict(spec.flavor or {}),
                'datastore_manager': spec.datastore_manager,
                'image_id': spec.image_id,
                'availability_zone': (spec.availability_zone
                                      or CONF.local.availability_zone),
                'server_group_id': spec.server_group_id,
                'metadata': dict(spec.metadata),
                'created': time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                         time.gmtime()),
                'status_intent': INTENT_ACTIVE,
            }
            # Written under the lock: from now on the address is taken.
            layout.write_json(paths.server_json, record)
        LOG.info('Server %s (%s) of instance %s gets address %s', server_id,
                 spec.name, spec.instance_id, address)
        files = spec.guest_files or base.GuestFiles('', '')
        # The files may carry credentials (transport_url): owner only.
        layout.write_text(paths.guest_info_conf, guest_info_contents(
            files.guest_info, paths, address,
            os.path.join(self.instances_dir, TEMPLATES_DIR)), mode=0o600)
        layout.write_text(paths.guest_conf, files.guest_config or '',
                          mode=0o600)
        for name, contents in sorted(files.extra.items()):
            layout.write_text(os.path.join(paths.etc_dir,
                                           os.path.basename(name)),
                              contents, mode=0o600)
        if spec.server_group_id:
            self._groups().add_member(spec.server_group_id, server_id)
        if spec.volume_id:
            # Attached at boot, as a Nova block device mapping is.
            self._volumes().attach_volume(context, spec.volume_id, server_id)
        self._spawn_agent(paths)
        return self._server(record, states.ServerStatus.BUILD)

    def _spawn_agent(self, paths):
        for marker in (paths.agent_ready, paths.agent_served):
            try:
                os.unlink(marker)
            except FileNotFoundError:
                pass
        try:
            pid = agent_launcher.start(paths.etc_dir, paths.guest_pid,
                                       paths.guest_out)
        except (OSError, RuntimeError) as error:
            raise exception.ComputeError(
                reason='the guest agent of server %s could not be started: '
                       '%s' % (paths.server_id, error)) from error
        LOG.info('Started guest agent of server %s as pid %s',
                 paths.server_id, pid)
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
        if (os.path.exists(paths.agent_served)
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

    def find_servers(self, context, instance_id):
        found = []
        for server_dir in layout.child_dirs(self.instances_dir):
            paths = self._layout(os.path.basename(server_dir))
            try:
                record = layout.read_json(paths.server_json)
            except exception.ComputeError:
                continue
            if record and (record.get('metadata') or {}).get(
                    base.METADATA_INSTANCE_ID) == instance_id:
                found.append(self.get_server(context, record['id']))
        return found

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
                                    paths.server_id, timeout))

    def delete_server(self, context, server_id):
        paths = self._layout(server_id)
        if not paths.exists():
            raise base.ServerNotFound(server_id=server_id)
        record = layout.read_json(paths.server_json) or {}
        self._stop_everything(paths)
        # As Nova does: the server's volumes are detached, not deleted.
        self._volumes().detach_all(server_id)
        if record.get('server_group_id'):
            self._groups().remove_member(record['server_group_id'],
                                         server_id)
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

    def fence_server(self, context, server_id):
        """SIGKILL the agent, the engine and all their descendants at
        once: a fenced server takes no write, whatever state it was in
        (a SIGSTOPped engine included)."""
        paths = self._layout(server_id)
        if not paths.exists():
            raise base.ServerNotFound(server_id=server_id)
        self._set_intent(paths, INTENT_SHUTDOWN)
        survivors = processes.kill_instance_processes(
            paths.dir, timeout=CONF.server_delete_time_out)
        if survivors:
            raise exception.ComputeError(
                reason='processes %s of server %s did not die'
                       % (', '.join(map(str, survivors)), server_id))
        LOG.info('Fenced server %s', server_id)

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

    def validate_rebuild(self, image_id):
        """Local servers have no image: a rebuild makes the server's
        processes anew from the installed engine binaries."""

    def rebuild_server(self, context, server_id, image_id):
        """Stop every process of the server (engine and agent) and start
        a fresh guest agent, which brings the engine up from the installed
        binaries; the volume (the data), the injected configuration and the
        agent's markers stay, as Nova keeps the volume and re-injects the
        same files."""
        paths = self._layout(server_id)
        record = self._set_intent(paths, INTENT_ACTIVE)
        self._stop_everything(paths)
        record['image_id'] = image_id
        record['rebuilt'] = time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                          time.gmtime())
        layout.write_json(paths.server_json, record)
        self._spawn_agent(paths)
        LOG.info('Rebuilt server %s', server_id)

    def validate_migrate(self, host):
        raise base.ProviderCannot(what=(
            'The local provider runs every server on this one host (%s): '
            'there is no other host to migrate to.' % CONF.host))

    def resize_server(self, context, server_id, new_flavor):
        """Only the record changes: local servers share the host."""
        paths = self._layout(server_id)
        record = self._record(paths)
        record['flavor'] = dict(new_flavor or {})
        layout.write_json(paths.server_json, record)
        LOG.info('Server %s now has flavor %s', server_id,
                 record['flavor'].get('id'))

    # Server groups ----------------------------------------------------------
    def _groups(self):
        return server_groups.LocalServerGroups(self.instances_dir)

    def _volumes(self):
        return volume.LocalVolumeDriver(volumes_dir=self._volumes_dir)

    def create_server_group(self, context, name, policy):
        if policy not in self.capabilities().locality_policies:
            raise base.ProviderCannot(what=(
                'Locality %s cannot be honoured by the local provider (it '
                'supports affinity).' % policy))
        return self._groups().create(name, policy)

    def delete_server_group(self, context, group_id):
        self._groups().delete(group_id)
