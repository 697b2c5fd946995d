"""Scenarios of the openstack provider, run against the real stack to
record its HTTP exchanges (tests/openstack/test_recordings.py) and against
those recordings in the fast tests (tests/unit/compute).

A scenario drives the provider bundle with fixed ids (a replay must send
the same URLs), waits with ``interval`` between polls (0 in replay, where
recorded states follow one another at once) and returns what it
observed, so the real run and the replay can be compared.
"""

import time

from trove.common import context, exception, states
from trove.compute import base

CTX = context.get_admin_context()
GUEST_INFO = ('[DEFAULT]\nguest_id = %s\ndatastore_manager = mariadb\n'
              'datastore_version = 10.11\ntenant_id = alpha\n')
GUEST_CONFIG = ('[DEFAULT]\ntransport_url = rabbit://guest:guest@'
                '127.0.0.1:5672/recorded\ncontrol_exchange = trove\n')
ALLOWED_CIDR = '10.0.0.0/8'


def poll(read, done, interval, timeout=60):
    """``read()`` until ``done(value)``; the last value (deadline bound)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def spec(ids, resources, instance_key='instance', **overrides):
    instance_id = ids[instance_key]
    values = dict(
        instance_id=instance_id, name='recorded-%s' % instance_key,
        flavor={'id': resources['flavors']['trove.small'],
                'name': 'trove.small'},
        datastore_manager='mariadb', image_tags=['trove', 'mariadb'],
        guest_files=base.GuestFiles(guest_info=GUEST_INFO % instance_id,
                                    guest_config=GUEST_CONFIG))
    values.update(overrides)
    return base.ServerSpec(**values)


def _settled(compute, server_id, interval):
    return poll(lambda: compute.get_server(CTX, server_id),
                lambda s: s.status in (states.ServerStatus.ACTIVE,
                                       states.ServerStatus.ERROR), interval)


def server_lifecycle(provider, ids, resources, interval=0.5):
    """A server as the build flow makes it (volume at boot, the user's
    network, an anti-affinity group, allowed CIDRs), then the volume
    attached, extended in use, detached, and everything deleted."""
    compute, volumes = provider.compute, provider.volumes
    seen = {}
    group = compute.create_server_group(CTX, 'trove-%s' % ids['instance'],
                                        'anti-affinity')
    volume = volumes.create_volume(CTX, base.VolumeSpec(
        instance_id=ids['instance'], size=1,
        name='trove-%s' % ids['instance']))
    seen['volume'] = (volume.size, volume.status)
    server = compute.create_server(CTX, spec(
        ids, resources, volume_id=volume.id,
        nics=[{'net-id': resources['user_network_id']}],
        server_group_id=group.id, locality='anti-affinity',
        access={'allowed_cidrs': [ALLOWED_CIDR]}))
    seen['created'] = server.status
    seen['created_addresses'] = server.addresses
    shown = _settled(compute, server.id, interval)
    seen['server'] = (shown.status, shown.flavor_id, shown.instance_id)
    seen['addresses'] = shown.addresses
    attachment = volumes.attach_volume(CTX, volume.id, server.id)
    seen['attachment'] = (attachment.device_path, attachment.mount_point)
    seen['attached_to'] = volumes.get_volume(CTX, volume.id).attached_to \
        == server.id
    seen['extended'] = volumes.extend_volume(CTX, volume.id, 2).size
    volumes.detach_volume(CTX, volume.id, server.id)
    seen['detached'] = volumes.get_volume(CTX, volume.id).status
    compute.delete_server(CTX, server.id)
    volumes.delete_volume(CTX, volume.id)
    compute.delete_server_group(CTX, group.id)
    seen['ids'] = {'server': server.id, 'volume': volume.id,
                   'group': group.id}
    return seen


def create_faults(provider, ids, resources, set_instances_quota,
                  interval=0.5):
    """What a user reads when the cloud says no: a missing image, no
    host for an anti-affinity member, the service project's quota."""
    compute = provider.compute
    seen = {}
    try:
        compute.create_server(CTX, spec(ids, resources,
                                        image_id=ids['missing_image']))
    except exception.ComputeError as error:
        seen['image'] = str(error)
    group = compute.create_server_group(CTX, 'trove-%s' % ids['instance'],
                                        'anti-affinity')
    members = []
    for key in ('instance', 'other'):
        server = compute.create_server(CTX, spec(
            ids, resources, instance_key=key, server_group_id=group.id,
            locality='anti-affinity'))
        members.append(server.id)
        shown = _settled(compute, server.id, interval)
    seen['second_member'] = (shown.status, shown.fault)
    for server_id in members:
        compute.delete_server(CTX, server_id)
    compute.delete_server_group(CTX, group.id)
    set_instances_quota(0)
    try:
        compute.create_server(CTX, spec(ids, resources,
                                        instance_key='quota'))
    except exception.ComputeError as error:
        seen['quota'] = str(error)
    finally:
        set_instances_quota(-1)
    seen['left'] = [s.id for key in ('instance', 'other', 'quota')
                    for s in compute.find_servers(CTX, ids[key])]
    return seen
