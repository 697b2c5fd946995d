"""A stand-in hypervisor for the test stack's Nova, whose fake driver boots
nothing.

``sync()`` does for each Trove server (Nova tag ``trove_instance``) what
a compute host and the guest image would: when Nova says ACTIVE it reads
the server's user-data back as the cloud admin (microversion 2.3+),
lays out a root directory with the guest image's installer
(tools/guest-image/install-guest.sh, packages skipped, the project's venv
as the agent's), writes the injected files as cloud-init would, and
starts the agent with the ExecStart of the image's systemd unit. What
real hardware would give the guest is written beside the injected files
in ``zz-hypervisor.conf``: its address (the server's fixed IP, a loopback
address on the stack's networks) for the engine, a directory as its data
disk whose size follows the Cinder volume's, and its state and log dirs.

The agent runs in a mount namespace of its own where that data directory
is bind-mounted on the datastore's mount point, as the data disk is in a
VM: the mount point the taskmanager sends in ``prepare`` (e.g.
/var/lib/mysql) then never reaches this machine's own directory. A server
Nova stops has its processes stopped; started again, its agent comes
back; deleted, its processes are stopped by pid and its root removed.

Development and test infrastructure only; needs root (mount namespaces).
"""

import base64
import json
import os
import shlex
import shutil
import sys

from oslo_log import log as logging

from trove.common import daemon
from trove.compute.local import processes
from trove.localenv import external
from trove.localenv.openstack import cloud_init

LOG = logging.getLogger(__name__)

NOVA_MICROVERSION = '2.79'
GUEST_IMAGE_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))), 'tools', 'guest-image')
AGENT_VENV = '/opt/trove-guestagent-venv'
AGENT_UNIT = 'etc/systemd/system/trove-guestagent.service'
CONFIG_DIR = 'etc/trove/conf.d'
HYPERVISOR_CONF = 'zz-hypervisor.conf'
# Mount the data disk where prepare says, in the agent's namespace only.
NAMESPACE_SCRIPT = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'


class HypervisorError(Exception):
    pass


def _user_data(server):
    encoded = server.get('OS-EXT-SRV-ATTR:user_data')
    if not encoded:
        raise HypervisorError('server %s has no user_data (is the session '
                              'the cloud admin\'s?)' % server['id'])
    return cloud_init.read_user_data(base64.b64decode(encoded))


def server_address(server, management_network):
    """The address of a server's engine: its first fixed IP outside the
    management network, or the management one."""
    fixed = [(name, entry['addr'])
             for name, entries in (server.get('addresses') or {}).items()
             for entry in entries
             if entry.get('OS-EXT-IPS:type', 'fixed') == 'fixed']
    own = [address for name, address in fixed if name != management_network]
    chosen = own or [address for _name, address in fixed]
    return chosen[0] if chosen else None


class Hypervisor:

    def __init__(self, root_dir, session, mount_points,
                 management_network='trove-mgmt', agent_venv=None):
        """``session``: a keystoneauth session of the cloud admin;
        ``mount_points``: datastore manager -> mount point prepare uses."""
        self.root_dir = os.path.abspath(root_dir)
        self.session = session
        self.mount_points = dict(mount_points)
        self.management_network = management_network
        self.agent_venv = agent_venv or os.path.dirname(
            os.path.dirname(sys.executable))

    # -- Nova and Cinder, as the admin ----------------------------------------
    def _get(self, service_type, path, **params):
        headers = {}
        if service_type == 'compute':
            headers['OpenStack-API-Version'] = 'compute %s' % \
                NOVA_MICROVERSION
        response = self.session.get(
            path, params=params, headers=headers, endpoint_filter={
                'service_type': service_type, 'interface': 'public'})
        return response.json()

    def servers(self):
        return self._get('compute', '/servers/detail', all_tenants=1,
                         tags='trove_instance')['servers']

    def _volume_size(self, volume_id):
        volume = self._get('volumev3', '/volumes/%s' % volume_id)['volume']
        return int(volume['size'])

    # -- one server's root -----------------------------------------------------
    def server_root(self, server_id):
        return os.path.join(self.root_dir, server_id)

    def booted(self):
        if not os.path.isdir(self.root_dir):
            return []
        return sorted(name for name in os.listdir(self.root_dir)
                      if os.path.isdir(self.server_root(name)))

    def agent_running(self, server_id):
        return processes.agent_pid(self.server_root(server_id)) is not None

    def _install_image(self, root):
        os.makedirs(os.path.join(root, 'opt'), exist_ok=True)
        link = os.path.join(root, AGENT_VENV.lstrip('/'))
        if not os.path.islink(link):
            os.symlink(self.agent_venv, link)
        env = dict(os.environ, TROVE_GUEST_ROOT=root,
                   TROVE_INSTALL_PACKAGES='0', TROVE_AGENT_VENV=AGENT_VENV)
        external.run(['sh', os.path.join(GUEST_IMAGE_DIR,
                                         'install-guest.sh')],
                     timeout=60, env=env)

    def _exec_start(self, root):
        """The image unit's ExecStart, its absolute paths under ``root``."""
        with open(os.path.join(root, AGENT_UNIT)) as unit:
            for line in unit:
                if line.startswith('ExecStart='):
                    words = shlex.split(line[len('ExecStart='):])
                    return [os.path.join(root, word.lstrip('/'))
                            if word.startswith('/') else word
                            for word in words]
        raise HypervisorError('the guest image has no agent ExecStart')

    @staticmethod
    def _hardware(root, address):
        values = ['[DEFAULT]',
                  'engine_bind_host = %s' % address,
                  'guest_state_dir = %s' % os.path.join(root, 'run'),
                  'volume_driver = directory',
                  'directory_volume_size_file = %s'
                  % os.path.join(root, 'disk.json'),
                  'log_dir = %s' % os.path.join(root, 'log'),
                  'log_file = trove-guestagent.log', '']
        return '\n'.join(values)

    def boot(self, server):
        """Lay out and start one ACTIVE server's guest."""
        data = _user_data(server)
        root = self.server_root(server['id'])
        manager = next((tag[len('trove_'):] for tag in server.get('tags', [])
                        if tag.startswith('trove_') and tag[6:] in
                        self.mount_points), None)
        if manager is None:
            raise HypervisorError('server %s has no datastore tag'
                                  % server['id'])
        address = server_address(server, self.management_network)
        for name in ('run', 'log', 'disk'):
            os.makedirs(os.path.join(root, name), exist_ok=True)
        # Engines run as their own users and must reach their files.
        os.chmod(self.root_dir, 0o755)
        os.chmod(root, 0o755)
        self._install_image(root)
        cloud_init.write_files(data, root)
        with open(os.path.join(root, CONFIG_DIR, HYPERVISOR_CONF), 'w') as hw:
            hw.write(self._hardware(root, address))
        with open(os.path.join(root, 'manager'), 'w') as kept:
            kept.write(manager)
        self.update_disk(server)
        self.start_agent(server['id'])
        LOG.info('Booted server %s (%s) at %s', server['id'], manager,
                 address)

    def start_agent(self, server_id):
        root = self.server_root(server_id)
        manager = external.read_text(os.path.join(root, 'manager'))
        mount_point = self.mount_points[manager]
        if not shutil.which('unshare'):
            raise HypervisorError('unshare (util-linux) is not installed')
        if not os.path.isdir(mount_point):
            raise HypervisorError(
                'cannot give server %s its data disk: %s does not exist on '
                'this machine to mount it on' % (server_id, mount_point))
        command = ['unshare', '--mount', '--propagation', 'private', '--',
                   'sh', '-c', NAMESPACE_SCRIPT, 'sh',
                   os.path.join(root, 'disk'), mount_point]
        command += self._exec_start(root)
        daemon.spawn(command, os.path.join(root, 'run',
                                           processes.AGENT_PID_FILE),
                     os.path.join(root, 'log', 'guest.out'))

    def update_disk(self, server):
        """The data disk's size follows the attached Cinder volume's."""
        attached = server.get('os-extended-volumes:volumes_attached') or []
        if not attached:
            return
        size = self._volume_size(attached[0]['id'])
        path = os.path.join(self.server_root(server['id']), 'disk.json')
        with open(path, 'w') as disk:
            json.dump({'size': size}, disk)

    def stop(self, server_id):
        processes.stop_instance_processes(self.server_root(server_id))

    def destroy(self, server_id):
        self.stop(server_id)
        shutil.rmtree(self.server_root(server_id), ignore_errors=True)
        LOG.info('Destroyed server %s', server_id)

    # -- the loop ----------------------------------------------------------------
    def sync(self):
        """Bring every Trove server's guest in line with Nova, once."""
        servers = {server['id']: server for server in self.servers()}
        for server_id in self.booted():
            if server_id not in servers:
                self.destroy(server_id)
        for server_id, server in servers.items():
            booted = server_id in self.booted()
            if server['status'] == 'ACTIVE':
                if not booted:
                    self.boot(server)
                    continue
                if not self.agent_running(server_id):
                    self.start_agent(server_id)
                self.update_disk(server)
            elif server['status'] == 'SHUTOFF' and booted:
                self.stop(server_id)

    def stop_all(self):
        for server_id in self.booted():
            self.stop(server_id)

