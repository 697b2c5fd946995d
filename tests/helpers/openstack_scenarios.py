"""Client scenarios run against the real OpenStack stack and, recorded, in
fast tests against its replay (tests.helpers.openstack_recording).

A scenario takes a keystoneauth session and a poll interval (0 in replay,
where the recorded states follow one another at once) and returns what it
observed, so the recording run and the replay can be compared.
"""

import base64
import time

from cinderclient import client as cinder_client
from novaclient import client as nova_client

NOVA_MICROVERSION = '2.79'
CINDER_MICROVERSION = '3.59'
USER_DATA = '#cloud-config\nwrite_files: []\n'


def poll(read, done, interval, timeout=60):
    """``read()`` until ``done(value)``; the last value (deadline bound)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def server_with_volume(session, image_id, flavor_id, network_id,
                       interval=0.5):
    """Boot a server with user_data on a network, attach a 1 GB volume,
    extend it to 2 GB, detach and delete both."""
    nova = nova_client.Client(NOVA_MICROVERSION, session=session)
    cinder = cinder_client.Client(CINDER_MICROVERSION, session=session)
    seen = {}
    server = nova.servers.create('recorded-server', image_id, flavor_id,
                                 nics=[{'net-id': network_id}],
                                 userdata=USER_DATA,
                                 meta={'trove_instance_id': 'recorded'})
    booted = poll(lambda: nova.servers.get(server.id),
                  lambda s: s.status in ('ACTIVE', 'ERROR'), interval)
    seen['server_status'] = booted.status
    seen['addresses'] = sorted(a['addr'] for net in booted.addresses.values()
                               for a in net)
    seen['user_data'] = base64.b64decode(
        getattr(booted, 'OS-EXT-SRV-ATTR:user_data') or b'').decode()
    volume = cinder.volumes.create(1, name='recorded-volume')
    poll(lambda: cinder.volumes.get(volume.id),
         lambda v: v.status in ('available', 'error'), interval)
    attachment = nova.volumes.create_server_volume(server.id, volume.id)
    seen['device'] = attachment.device
    poll(lambda: cinder.volumes.get(volume.id),
         lambda v: v.status in ('in-use', 'error'), interval)
    cinder.volumes.extend(volume, 2)
    extended = poll(lambda: cinder.volumes.get(volume.id),
                    lambda v: v.size == 2, interval)
    seen['extended_size'] = extended.size
    nova.volumes.delete_server_volume(server.id, volume.id)
    detached = poll(lambda: cinder.volumes.get(volume.id),
                    lambda v: v.status in ('available', 'error'), interval)
    seen['detached_status'] = detached.status
    cinder.volumes.delete(volume)
    nova.servers.delete(server.id)
    return seen
