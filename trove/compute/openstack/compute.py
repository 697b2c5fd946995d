"""Servers of the openstack provider: Nova servers in the service project.

A new server boots the datastore version's image (images.choose_image)
with the flavor asked for, gets its guest agent's files as cloud-init
user-data (userdata.build), ports on the user's and the management
networks and the instance's security group (networks), the data volume
attached at boot when there is one, the instance's server group as a
scheduling hint, and upstream's tags and metadata naming the instance.
Deleting a server waits until Nova has removed it, then removes the ports
and security group made for it. Nova's failures become messages the user
can act on (faults).

Every wait is bounded by its upstream option. No state is kept in memory
beyond the clients and the flavor and network names seen (Nova shows a
server's flavor and networks by name).
"""

from novaclient import exceptions as nova_exceptions
from oslo_log import log as logging

from trove.common import exception, states
from trove.compute import base
from trove.compute.openstack import addresses, clients, faults, images, userdata
from trove.compute.openstack import networks as instance_networks
from trove.compute.openstack.waits import wait_for, wait_gone
from trove.conf import CONF

LOG = logging.getLogger(__name__)

TAG_INSTANCE_ID = 'trove_instance_id_%s'
TAG_MANAGER = 'trove_%s'

# Nova status -> the statuses the taskmanager knows.
NOVA_STATUSES = {
    'SHUTOFF': states.ServerStatus.SHUTDOWN,
    'PAUSED': states.ServerStatus.SHUTDOWN,
    'SUSPENDED': states.ServerStatus.SHUTDOWN,
    'SHELVED': states.ServerStatus.SHUTDOWN,
    'SHELVED_OFFLOADED': states.ServerStatus.SHUTDOWN,
    'HARD_REBOOT': states.ServerStatus.REBOOT,
    'REVERT_RESIZE': states.ServerStatus.RESIZE,
    'MIGRATING': states.ServerStatus.RESIZE,
    'SOFT_DELETED': states.ServerStatus.DELETED,
}


def server_status(nova_status):
    return NOVA_STATUSES.get(nova_status, nova_status)


def manager_of(server):
    """The datastore manager named by a server's tags, or None."""
    for tag in getattr(server, 'tags', None) or ():
        if tag.startswith('trove_') and not tag.startswith(
                ('trove_instance', 'trove_project_id_', 'trove_user_id_')):
            return tag[len('trove_'):]
    return None


def _port_dict(port):
    return {'network_id': port.network_id, 'fixed_ips': port.fixed_ips}


class NovaComputeDriver(base.ComputeDriver):

    def __init__(self, session=None):
        self._session = session
        self._flavor_ids = {}
        self._network_ids = {}

    @property
    def nova(self):
        return clients.nova(self._session)

    @property
    def sdk(self):
        return clients.sdk(self._session)

    # -- what this provider can do --------------------------------------------
    def capabilities(self):
        try:
            zones = tuple(sorted(
                zone.zoneName for zone in
                self.nova.availability_zones.list(detailed=False)
                if zone.zoneState.get('available')))
        except nova_exceptions.ClientException:
            zones = ()
        return base.Capabilities(
            provider='openstack', availability_zones=zones, nics=True,
            locality_policies=base.LOCALITY_POLICIES, volume_types=None,
            volumes=True, online_volume_extend=True, public_access=True)

    def validate(self, spec):
        super().validate(spec)
        for nic in spec.nics or ():
            if nic.get('port-id') or nic.get('port_id'):
                raise base.ProviderCannot(what=(
                    'An instance\'s ports are made by Trove: give "net-id" '
                    '(and optionally "v4-fixed-ip" or "subnet-id") in '
                    '"nics", not "port-id".'))
            if not (nic.get('net-id') or nic.get('network_id')):
                raise base.ProviderCannot(what='Each of "nics" needs a '
                                               '"net-id".')

    # -- creation ---------------------------------------------------------------
    def create_server(self, context, spec):
        self.validate(spec)
        sdk = self.sdk
        image_id = images.choose_image(sdk, spec.image_id, spec.image_tags)
        user_data = userdata.build(spec.guest_files, spec.datastore_manager)
        networks = instance_networks.InstanceNetworks(sdk)
        try:
            group_id = None
            if CONF.trove_security_groups_support:
                group_id = networks.create_security_group(
                    spec.instance_id, spec.datastore_manager, spec.access)
            ports = networks.create_ports(spec.instance_id, spec.nics,
                                          group_id)
            public = []
            if (spec.access or {}).get('is_public') and spec.nics:
                public.append(networks.add_floating_ip(ports[0].id))
            nics = [{'port-id': port.id} for port in ports]
            server = self._boot(context, spec, image_id, user_data,
                                nics or 'auto')
        except Exception:
            # Nothing of a failed create may outlive it.
            networks.delete_for_instance(spec.instance_id)
            raise
        LOG.info('Server %s of instance %s created', server.id,
                 spec.instance_id)
        # The ports have their addresses already; Nova shows them later.
        floating = {'public': [{'addr': address,
                                'OS-EXT-IPS:type': 'floating'}
                               for address in public]}
        return self._server(server, ports=[_port_dict(port)
                                           for port in ports],
                            nova_addresses=floating)

    def _boot(self, context, spec, image_id, user_data, nics):
        manager = spec.datastore_manager
        tags = ['trove_instance', TAG_MANAGER % manager,
                TAG_INSTANCE_ID % spec.instance_id]
        metadata = dict(spec.metadata)
        project_id = getattr(context, 'project_id', None)
        user_id = getattr(context, 'user_id', None)
        if project_id:
            tags.append('trove_project_id_%s' % project_id)
            metadata['trove_project_id'] = project_id
        if user_id:
            tags.append('trove_user_id_%s' % user_id)
            metadata['trove_user_id'] = user_id
        mapping = []
        if CONF.volume_rootdisk_support:
            mapping.append({'uuid': image_id, 'source_type': 'image',
                            'destination_type': 'volume', 'boot_index': 0,
                            'volume_size': CONF.volume_rootdisk_size,
                            'delete_on_termination': True})
        if spec.volume_id:
            # The taskmanager deletes data volumes itself.
            mapping.append({'uuid': spec.volume_id, 'source_type': 'volume',
                            'destination_type': 'volume', 'boot_index': -1,
                            'device_name': CONF.block_device_mapping,
                            'delete_on_termination': False})
        hints = {'group': spec.server_group_id} if spec.server_group_id \
            else None
        try:
            return self.nova.servers.create(
                name=spec.name,
                image=None if CONF.volume_rootdisk_support else image_id,
                flavor=spec.flavor['id'], nics=nics,
                block_device_mapping_v2=mapping or None,
                userdata=user_data, tags=tags, meta=metadata,
                availability_zone=spec.availability_zone,
                config_drive=CONF.use_nova_server_config_drive or None,
                key_name=CONF.nova_keypair, scheduler_hints=hints)
        except nova_exceptions.ClientException as error:
            raise faults.nova_error(error, spec.flavor.get('name') or
                                    spec.flavor['id']) from error

    # -- reading ----------------------------------------------------------------
    def _get(self, server_id):
        try:
            return self.nova.servers.get(server_id)
        except nova_exceptions.NotFound as error:
            raise base.ServerNotFound(server_id=server_id) from error
        except nova_exceptions.BadRequest as error:
            raise base.ServerNotFound(server_id=server_id) from error

    def _flavor_id(self, server):
        flavor = server.flavor or {}
        if flavor.get('id'):
            return str(flavor['id'])
        name = flavor.get('original_name')
        if name not in self._flavor_ids:
            self._flavor_ids = {f.name: str(f.id)
                                for f in self.nova.flavors.list()}
        return self._flavor_ids.get(name)

    def _server(self, server, ports=None, nova_addresses=None):
        status = server_status(server.status)
        fault = None
        if status == states.ServerStatus.ERROR:
            fault = faults.server_fault(getattr(server, 'fault', None),
                                        (server.flavor or {}).get(
                                            'original_name', ''))
        if ports is None:
            ports = self._ports_from_nova(getattr(server, 'addresses', None)
                                          or {})
        return base.Server(
            id=server.id, name=server.name, status=status,
            flavor_id=self._flavor_id(server),
            addresses=addresses.from_ports(
                ports, nova_addresses if nova_addresses is not None
                else getattr(server, 'addresses', None)),
            fault=fault,
            instance_id=(server.metadata or {}).get(
                base.METADATA_INSTANCE_ID),
            availability_zone=getattr(
                server, 'OS-EXT-AZ:availability_zone', None),
            host=getattr(server, 'OS-EXT-SRV-ATTR:host', None))

    def _ports_from_nova(self, nova_addresses):
        """The server's fixed IPs per network id, from what Nova shows
        (keyed by network name): one Nova call per read instead of a
        Neutron one as well, names resolved once per driver."""
        names = set(nova_addresses)
        if not names <= set(self._network_ids):
            self._network_ids = {network.name: network.id for network in
                                 self.sdk.network.networks()}
        return [{'network_id': self._network_ids.get(name, name),
                 'fixed_ips': [{'ip_address': entry['addr']}
                               for entry in entries
                               if entry.get('OS-EXT-IPS:type', 'fixed')
                               == 'fixed']}
                for name, entries in sorted(nova_addresses.items())]

    def get_server(self, context, server_id):
        return self._server(self._get(server_id))

    def find_servers(self, context, instance_id):
        found = self.nova.servers.list(search_opts={
            'tags': TAG_INSTANCE_ID % instance_id})
        return [self._server(server) for server in found]

    # -- actions ------------------------------------------------------------------
    def delete_server(self, context, server_id):
        server = self._get(server_id)
        instance_id = (server.metadata or {}).get(base.METADATA_INSTANCE_ID)
        try:
            server.delete()
        except nova_exceptions.NotFound as error:
            raise base.ServerNotFound(server_id=server_id) from error
        wait_gone(lambda: self.nova.servers.get(server_id),
                  nova_exceptions.NotFound, CONF.server_delete_time_out,
                  'Deleting server %s' % server_id)
        if instance_id:
            instance_networks.InstanceNetworks(self.sdk).delete_for_instance(
                instance_id)

    def _act(self, server_id, action, *args):
        server = self._get(server_id)
        try:
            getattr(server, action)(*args)
        except nova_exceptions.ClientException as error:
            raise faults.nova_error(error) from error

    def stop_server(self, context, server_id):
        self._act(server_id, 'stop')

    def start_server(self, context, server_id):
        self._act(server_id, 'start')

    def _wait_status(self, server_id, wanted, timeout, what, flavor=''):
        """The server once its status is in ``wanted``; its fault as a
        ComputeError if it goes to ERROR instead."""
        server = wait_for(lambda: self._get(server_id),
                          lambda s: s.status in wanted + ('ERROR',),
                          timeout, what)
        if server.status == 'ERROR':
            raise exception.ComputeError(faults.server_fault(
                getattr(server, 'fault', None), flavor))
        return server

    def reboot_server(self, context, server_id):
        """Reboot and return once the server is ACTIVE again."""
        self._act(server_id, 'reboot')
        self._wait_status(server_id, ('ACTIVE',), CONF.reboot_time_out,
                          'Rebooting server %s' % server_id)

    def resize_server(self, context, server_id, new_flavor):
        """Resize, confirm, and return once the server is ACTIVE again."""
        self._act(server_id, 'resize', new_flavor['id'])
        name = new_flavor.get('name', '')
        self._wait_status(server_id, ('VERIFY_RESIZE',), CONF.resize_time_out,
                          'Resizing server %s' % server_id, name)
        self._act(server_id, 'confirm_resize')
        self._wait_status(server_id, ('ACTIVE',), CONF.resize_time_out,
                          'Confirming the resize of server %s' % server_id,
                          name)

    # -- server groups ------------------------------------------------------------
    def create_server_group(self, context, name, policy):
        try:
            group = self.nova.server_groups.create(name=name,
                                                   policies=[policy])
        except nova_exceptions.ClientException as error:
            raise faults.nova_error(error) from error
        return base.ServerGroup(id=group.id, name=group.name, policy=policy)

    def delete_server_group(self, context, group_id):
        try:
            self.nova.server_groups.delete(group_id)
        except nova_exceptions.NotFound as error:
            raise base.ServerGroupNotFound(group_id=group_id) from error
