"""The OpenStack test stack works as a cloud for the openstack provider.

One scenario, in the order the provider uses the services: a flavor (as
the cloud admin), an image, a Neutron port, a server booted on that port
with user_data that the admin reads back, and a Cinder volume attached,
extended while attached, detached and deleted. Every wait has a deadline.
"""

import base64
import ipaddress
import time

import pytest
from cinderclient import client as cinder_client
from novaclient import client as nova_client

from tests.helpers.processes import wait_until

pytestmark = pytest.mark.openstack

NOVA_MICROVERSION = '2.79'
CINDER_MICROVERSION = '3.59'


def _rest(session, service_type, method, path, **kwargs):
    response = session.request(path, method, endpoint_filter={
        'service_type': service_type, 'interface': 'public'}, **kwargs)
    return response.json() if response.content else None


def _status(getter):
    def current():
        return getter().status
    return current


def test_server_with_user_data_port_and_volume(openstack_stack):
    admin = openstack_stack.session('admin')
    trove = openstack_stack.session('trove')
    nova_admin = nova_client.Client(NOVA_MICROVERSION, session=admin)
    nova = nova_client.Client(NOVA_MICROVERSION, session=trove)
    cinder = cinder_client.Client(CINDER_MICROVERSION, session=trove)
    timings = {}

    flavor = nova_admin.flavors.create('smoke.tiny', ram=256, vcpus=1,
                                       disk=1)
    try:
        assert 'smoke.tiny' in [f.name for f in nova.flavors.list()]

        image = _rest(trove, 'image', 'POST', '/v2/images', json={
            'name': 'smoke-image', 'disk_format': 'raw',
            'container_format': 'bare', 'tags': ['smoke']})
        trove.request('/v2/images/%s/file' % image['id'], 'PUT',
                      data=b'\0' * 1024,
                      headers={'Content-Type': 'application/octet-stream'},
                      endpoint_filter={'service_type': 'image',
                                       'interface': 'public'})
        uploaded = _rest(trove, 'image', 'GET', '/v2/images/' + image['id'])
        assert uploaded['status'] == 'active'
        assert uploaded['size'] == 1024

        port = _rest(trove, 'network', 'POST', '/v2.0/ports', json={
            'port': {'name': 'smoke-port', 'network_id':
                     openstack_stack.resources.management_network_id}})['port']
        fixed_ip = port['fixed_ips'][0]['ip_address']
        assert ipaddress.ip_address(fixed_ip) in ipaddress.ip_network(
            openstack_stack.resources.management_cidr)
        assert ipaddress.ip_address(fixed_ip).is_loopback

        user_data = '#cloud-config\nwrite_files: []\n'
        started = time.monotonic()
        server = nova.servers.create('smoke-server', image['id'], flavor.id,
                                     nics=[{'port-id': port['id']}],
                                     userdata=user_data)
        wait_until(lambda: nova.servers.get(server.id).status in
                   ('ACTIVE', 'ERROR'), timeout=60, interval=0.5)
        timings['server ACTIVE'] = time.monotonic() - started
        booted = nova_admin.servers.get(server.id)
        assert booted.status == 'ACTIVE', getattr(booted, 'fault', None)
        assert base64.b64decode(
            getattr(booted, 'OS-EXT-SRV-ATTR:user_data')).decode() == \
            user_data
        addresses = [address['addr'] for network in booted.addresses.values()
                     for address in network]
        assert addresses == [fixed_ip]
        bound = _rest(trove, 'network', 'GET',
                      '/v2.0/ports/' + port['id'])['port']
        assert bound['device_id'] == server.id
        assert bound['status'] == 'ACTIVE'

        started = time.monotonic()
        volume = cinder.volumes.create(1, name='smoke-volume')
        wait_until(lambda: cinder.volumes.get(volume.id).status ==
                   'available', timeout=60, interval=0.5)
        nova.volumes.create_server_volume(server.id, volume.id)
        wait_until(lambda: cinder.volumes.get(volume.id).status == 'in-use',
                   timeout=60, interval=0.5)
        attachment = cinder.volumes.get(volume.id).attachments[0]
        assert attachment['server_id'] == server.id
        cinder.volumes.extend(volume, 2)
        wait_until(lambda: cinder.volumes.get(volume.id).size == 2,
                   timeout=60, interval=0.5)
        nova.volumes.delete_server_volume(server.id, volume.id)
        wait_until(lambda: cinder.volumes.get(volume.id).status ==
                   'available', timeout=60, interval=0.5)
        cinder.volumes.delete(volume)
        wait_until(lambda: volume.id not in
                   [v.id for v in cinder.volumes.list()], timeout=60,
                   interval=0.5)
        timings['volume lifecycle'] = time.monotonic() - started

        nova.servers.delete(server.id)
        wait_until(lambda: server.id not in
                   [s.id for s in nova.servers.list()], timeout=60,
                   interval=0.5)
        _rest(trove, 'network', 'DELETE', '/v2.0/ports/' + port['id'])
        _rest(trove, 'image', 'DELETE', '/v2/images/' + image['id'])
    finally:
        nova_admin.flavors.delete(flavor.id)
    print('openstack stack: %s; scenario %s' % (
        {k: round(v, 1) for k, v in openstack_stack.stack.timings.items()
         if isinstance(v, float)},
        {k: round(v, 1) for k, v in timings.items()}))
