"""Neutron for one instance: its security group, its ports, its floating IP.

As upstream: a security group ``<trove_security_group_name_prefix>-<id>``
opening the datastore's ``tcp_ports`` (and ``udp_ports``) to the
request's ``access.allowed_cidrs`` (``trove_security_group_rule_cidr``
when it gives none); a port ``trove-<id>`` on the user's network when the
request has ``nics`` (with the instance's group) and one on the last of
``management_networks`` (with ``management_security_groups``, or the
instance's group); a floating IP on ``[network] public_network_id`` for
the user port when ``access.is_public``. Everything made here carries the
instance id in its name, so ``delete_for_instance`` finds it again after
any crash.

Talks to Neutron only, through an openstacksdk connection.
"""

import ipaddress

from trove.common import exception
from trove.compute.openstack import faults
from trove.conf import CONF

PORT_NAME = 'trove-%s'


def security_group_name(instance_id):
    return '%s-%s' % (CONF.trove_security_group_name_prefix, instance_id)


def _port_ranges(ports):
    """'3306' / '4567-4568' strings -> (min, max) pairs."""
    ranges = []
    for value in ports or ():
        low, _sep, high = str(value).partition('-')
        ranges.append((int(low), int(high or low)))
    return ranges


def engine_ports(datastore_manager):
    """{'tcp': [(min, max)], 'udp': [...]} of a datastore manager."""
    try:
        group = CONF.get(datastore_manager)
    except Exception:
        return {'tcp': [], 'udp': []}
    return {'tcp': _port_ranges(getattr(group, 'tcp_ports', None)),
            'udp': _port_ranges(getattr(group, 'udp_ports', None))}


def allowed_cidrs(access):
    cidrs = (access or {}).get('allowed_cidrs') or []
    return list(cidrs) or [CONF.trove_security_group_rule_cidr]


class InstanceNetworks:

    def __init__(self, sdk):
        self.network = sdk.network

    # -- security group ----------------------------------------------------
    def create_security_group(self, instance_id, datastore_manager,
                              access=None):
        """The instance's group with its engine ports open; its id."""
        try:
            group = self.network.create_security_group(
                name=security_group_name(instance_id),
                description='Security group for trove instance %s'
                            % instance_id)
            for protocol, ranges in engine_ports(datastore_manager).items():
                for low, high in ranges:
                    for cidr in allowed_cidrs(access):
                        version = ipaddress.ip_network(cidr, strict=False)
                        self.network.create_security_group_rule(
                            security_group_id=group.id, direction='ingress',
                            ethertype='IPv%d' % version.version,
                            protocol=protocol, port_range_min=low,
                            port_range_max=high, remote_ip_prefix=cidr)
        except Exception as error:
            raise faults.neutron_error(error, 'security group') from error
        return group.id

    # -- ports -------------------------------------------------------------
    def create_ports(self, instance_id, nics, security_group_id):
        """The instance's ports (openstacksdk Port values): user ports
        first, management last, as Nova gets them."""
        own_groups = [security_group_id] if security_group_id else []
        created = []
        for nic in nics or ():
            created.append(self._user_port(instance_id, nic, own_groups))
        management = CONF.management_networks
        if management:
            groups = list(CONF.management_security_groups) or own_groups
            created.append(self._port(
                instance_id, management[-1], groups,
                description='Management port for trove instance %s'
                            % instance_id))
        return created

    def _user_port(self, instance_id, nic, groups):
        # The provider's validate() refused nics without a network.
        network_id = nic.get('net-id') or nic.get('network_id')
        fixed = {}
        if nic.get('subnet-id') or nic.get('subnet_id'):
            fixed['subnet_id'] = nic.get('subnet-id') or nic.get('subnet_id')
        address = nic.get('v4-fixed-ip') or nic.get('ip_address')
        if address:
            fixed['ip_address'] = address
        return self._port(instance_id, network_id, groups,
                          description='User port for trove instance %s'
                                      % instance_id,
                          fixed_ips=[fixed] if fixed else None)

    def _port(self, instance_id, network_id, groups, description,
              fixed_ips=None):
        attributes = {'name': PORT_NAME % instance_id,
                      'network_id': network_id,
                      'description': description,
                      'security_groups': groups}
        if fixed_ips:
            attributes['fixed_ips'] = fixed_ips
        try:
            return self.network.create_port(**attributes)
        except Exception as error:
            raise faults.neutron_error(error, network_id) from error

    def add_floating_ip(self, port_id):
        """A floating IP for a port on the public network; the address."""
        network_id = CONF.network.public_network_id
        if not network_id:
            external = next(iter(self.network.networks(
                is_router_external=True)), None)
            if external is None:
                raise exception.ComputeError(
                    'The cloud has no external network for public '
                    'instances; ask the operator to set [network] '
                    'public_network_id.')
            network_id = external.id
        try:
            floating = self.network.create_ip(
                floating_network_id=network_id, port_id=port_id)
        except Exception as error:
            raise faults.neutron_error(error, network_id) from error
        return floating.floating_ip_address

    # -- deleting ------------------------------------------------------------
    def delete_for_instance(self, instance_id):
        """Floating IPs, ports and the security group of an instance;
        what is already gone is skipped. Returns what was deleted."""
        deleted = []
        for port in self.network.ports(name=PORT_NAME % instance_id):
            for floating in self.network.ips(port_id=port.id):
                self.network.delete_ip(floating, ignore_missing=True)
                deleted.append(('floating ip', floating.id))
            self.network.delete_port(port, ignore_missing=True)
            deleted.append(('port', port.id))
        for group in self.network.security_groups(
                name=security_group_name(instance_id)):
            self.network.delete_security_group(group, ignore_missing=True)
            deleted.append(('security group', group.id))
        return deleted
