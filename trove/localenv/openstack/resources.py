"""What the test stack's template holds besides the services' schemas.

Flavors, a small raw guest image tagged for Trove, the management network
and a user network, created once at template build through the services'
REST APIs as the cloud admin (keystoneauth, the way an operator's tools
do). Their ids are recorded in the template, so bring-ups from it pay
nothing for them.

Nothing here deletes anything or runs at an ordinary bring-up.
"""

import dataclasses

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

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
MANAGEMENT_NETWORK = ('trove-mgmt', '10.110.0.0/24')
USER_NETWORK = ('alpha-net', '10.120.0.0/24')


@dataclasses.dataclass
class StackResources:
    flavors: dict          # name -> id
    image_id: str
    management_network_id: str
    user_network_id: str
    user_subnet_id: str

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


def _call(session, service_type, method, path, body=None, **kwargs):
    response = session.request(
        path, method, json=body,
        endpoint_filter={'service_type': service_type,
                         'interface': 'public'}, **kwargs)
    return response.json() if response.content else None


def create_all(session, projects):
    """Create the template's resources; ``projects`` maps name -> id."""
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
    management_id, _subnet = _network(session, MANAGEMENT_NETWORK,
                                      projects['service'])
    user_id, user_subnet = _network(session, USER_NETWORK, projects['alpha'])
    return StackResources(flavors=flavors, image_id=image['id'],
                          management_network_id=management_id,
                          user_network_id=user_id,
                          user_subnet_id=user_subnet)


def _network(session, spec, project_id):
    name, cidr = spec
    network = _call(session, 'network', 'POST', '/v2.0/networks', {
        'network': {'name': name, 'project_id': project_id}})['network']
    subnet = _call(session, 'network', 'POST', '/v2.0/subnets', {
        'subnet': {'name': name + '-subnet', 'network_id': network['id'],
                   'ip_version': 4, 'cidr': cidr,
                   'project_id': project_id}})['subnet']
    return network['id'], subnet['id']
