"""The cloud resources of the test stack, made as the cloud admin.

At template build: flavors and a small raw guest image tagged for Trove
(their ids are recorded in the template, so bring-ups pay nothing for
them). At every bring-up: the management network (in the service
project) and a user network (project alpha), each with a subnet in a
random /24 of 127.200.0.0-127.254.255.255 without DHCP. Loopback subnets
make a port's fixed IP an address this machine can serve on, so a
server's address as Nova and Neutron report it is where the engine of
the server's guest agent listens (see hypervisor); the random /24 keeps
two stacks on one machine (two test sessions) apart.

Calls go through the services' REST APIs with keystoneauth, the way an
operator's tools do. Nothing here deletes anything.
"""

import dataclasses
import logging
import random
import time

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from trove.localenv import external

LOG = logging.getLogger(__name__)

# Small enough for the fake driver's 8 GB / 500 GB host, big enough to be
# told apart by a resize.
FLAVORS = (
    {'id': '101', 'name': 'trove.small', 'ram': 512, 'vcpus': 1, 'disk': 2},
    {'id': '102', 'name': 'trove.medium', 'ram': 1024, 'vcpus': 2,
     'disk': 4},
)
IMAGE_NAME = 'trove-guest-mariadb'
IMAGE_TAGS = ('trove', 'mariadb')
# The fake driver never reads the image; a few KB keep the template small.
IMAGE_BYTES = b'\0' * 4096
MANAGEMENT_NETWORK = 'trove-mgmt'
USER_NETWORK = 'alpha-net'


@dataclasses.dataclass
class StackResources:
    flavors: dict          # name -> id
    image_id: str
    management_network_id: str = None
    management_cidr: str = None
    user_network_id: str = None
    user_subnet_id: str = None
    user_cidr: str = None

    @classmethod
    def from_dict(cls, data):
        return cls(**data)


def admin_session(auth_url, admin):
    """A keystoneauth session of the cloud admin (admin project)."""
    auth = v3.Password(auth_url=auth_url, username=admin.username,
                       password=admin.password,
                       project_name=admin.project_name,
                       user_domain_id=admin.user_domain_id,
                       project_domain_id=admin.project_domain_id)
    return ks_session.Session(auth=auth)


# Right after a bring-up, a service seen answering may still refuse a
# first write (CI saw Neutron answer an admin's network create with 403
# once, never again on retry): such answers are retried for a while.
RETRIED_STATUSES = (403, 500, 502, 503)
RETRY_SECONDS = 30


def _call(session, service_type, method, path, body=None, **kwargs):
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        response = session.request(
            path, method, json=body, raise_exc=False,
            endpoint_filter={'service_type': service_type,
                             'interface': 'public'}, **kwargs)
        if (response.status_code not in RETRIED_STATUSES or
                time.monotonic() > deadline):
            break
        LOG.warning('%s %s %s answered %s, retrying: %s', service_type,
                    method, path, response.status_code, response.text[:500])
        if response.status_code == 403:
            session.invalidate()   # and a new token next time
        time.sleep(1)
    if response.status_code >= 400:
        # keystoneauth's own error drops the service's answer (a Neutron
        # fault is not in a shape it knows), and that answer is the cause.
        raise external.ExternalServiceError(
            '%s %s %s answered %s: %s' % (service_type, method, path,
                                         response.status_code,
                                         response.text[:2000]))
    return response.json() if response.content else None


# As devstack does for Trove: the service project holds every instance's
# server, volume, ports and security group, so its quotas are lifted.
UNLIMITED = (
    ('compute', '/os-quota-sets/%s', 'quota_set',
     ('instances', 'cores', 'ram', 'server_groups', 'server_group_members')),
    ('volumev3', '/os-quota-sets/%s', 'quota_set',
     ('volumes', 'gigabytes', 'snapshots')),
    ('network', '/v2.0/quotas/%s', 'quota',
     ('port', 'security_group', 'security_group_rule', 'floatingip',
      'network', 'subnet')),
)


def lift_service_quotas(session, service_project_id):
    for service_type, path, key, names in UNLIMITED:
        _call(session, service_type, 'PUT', path % service_project_id,
              {key: {name: -1 for name in names}})


def create_template_resources(session, projects):
    """Flavors, the guest image and the service project's quotas lifted:
    {'flavors', 'image_id'}."""
    lift_service_quotas(session, projects['service'])
    flavors = {}
    for flavor in FLAVORS:
        created = _call(session, 'compute', 'POST', '/flavors',
                        {'flavor': dict(flavor)})['flavor']
        flavors[created['name']] = created['id']
    image = _call(session, 'image', 'POST', '/v2/images', {
        'name': IMAGE_NAME, 'disk_format': 'raw',
        'container_format': 'bare', 'visibility': 'public',
        'tags': list(IMAGE_TAGS)})
    session.request('/v2/images/%s/file' % image['id'], 'PUT',
                    data=IMAGE_BYTES,
                    headers={'Content-Type': 'application/octet-stream'},
                    endpoint_filter={'service_type': 'image',
                                     'interface': 'public'})
    return {'flavors': flavors, 'image_id': image['id']}


def loopback_cidrs(count=2):
    """``count`` distinct random loopback /24s for this bring-up."""
    chosen = set()
    while len(chosen) < count:
        chosen.add('127.%d.%d.0/24' % (random.randint(200, 254),
                                       random.randint(0, 255)))
    return sorted(chosen)


def create_networks(session, projects):
    """The management and user networks: {field of StackResources: ...}."""
    management_cidr, user_cidr = loopback_cidrs()
    management_id, _subnet = _network(session, MANAGEMENT_NETWORK,
                                      management_cidr, projects['service'])
    user_id, user_subnet = _network(session, USER_NETWORK, user_cidr,
                                    projects['alpha'])
    return {'management_network_id': management_id,
            'management_cidr': management_cidr,
            'user_network_id': user_id, 'user_subnet_id': user_subnet,
            'user_cidr': user_cidr}


def _network(session, name, cidr, project_id):
    network = _call(session, 'network', 'POST', '/v2.0/networks', {
        'network': {'name': name, 'project_id': project_id}})['network']
    # Neutron takes a loopback subnet only without DHCP.
    subnet = _call(session, 'network', 'POST', '/v2.0/subnets', {
        'subnet': {'name': name + '-subnet', 'network_id': network['id'],
                   'ip_version': 4, 'cidr': cidr, 'enable_dhcp': False,
                   'gateway_ip': None, 'project_id': project_id}})['subnet']
    return network['id'], subnet['id']
