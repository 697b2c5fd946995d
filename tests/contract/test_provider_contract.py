"""What every provider bundle promises the taskmanager (trove.compute.base).

Each test runs against every harness of conftest.HARNESSES, and against
the openstack provider on the real stack from tests/openstack (which
imports this suite, so that tier's one stack serves it).
"""

import uuid

import pytest

from tests.helpers.processes import wait_until
from trove.common import context, daemon, exception, states
from trove.compute import base

ACTIVE = states.ServerStatus.ACTIVE
CTX = context.get_admin_context()


def new_spec(harness, **overrides):
    instance_id = str(uuid.uuid4())
    values = dict(instance_id=instance_id, name='contract-' + instance_id[:8],
                  flavor=dict(harness.flavor),
                  datastore_manager=harness.datastore_manager,
                  guest_files=base.GuestFiles(
                      guest_info='[DEFAULT]\nguest_id = %s\n' % instance_id,
                      guest_config='[DEFAULT]\n'))
    # What the provider needs besides (the openstack one: image tags).
    values.update(getattr(harness, 'spec_defaults', {}))
    values.update(overrides)
    return base.ServerSpec(**values)


def wait_status(harness, server_id, status):
    compute = harness.provider.compute

    def current():
        return compute.get_server(CTX, server_id).status
    wait_until(lambda: current() == status, timeout=harness.boot_timeout,
               interval=0.2, message='server %s never became %s (last %s)'
                                     % (server_id, status, current()))


def test_a_server_is_created_found_and_reaches_active(harness):
    compute = harness.provider.compute
    spec = new_spec(harness)
    server = compute.create_server(CTX, spec)
    # The provider's own id, never the instance's.
    assert server.id != spec.instance_id
    assert server.status in (states.ServerStatus.BUILD, ACTIVE)
    assert server.instance_id == spec.instance_id
    wait_status(harness, server.id, ACTIVE)
    shown = compute.get_server(CTX, server.id)
    assert shown.flavor_id == str(harness.flavor['id'])
    assert shown.addresses and shown.addresses[0]['address']
    assert [s.id for s in compute.find_servers(CTX, spec.instance_id)] \
        == [server.id]
    assert compute.find_servers(CTX, str(uuid.uuid4())) == []


def test_get_server_has_no_side_effects(harness):
    compute = harness.provider.compute
    server = compute.create_server(CTX, new_spec(harness))
    wait_status(harness, server.id, ACTIVE)
    first = compute.get_server(CTX, server.id)
    for _ in range(3):
        assert compute.get_server(CTX, server.id) == first


def test_stop_start_reboot_and_resize(harness):
    compute = harness.provider.compute
    server = compute.create_server(CTX, new_spec(harness))
    wait_status(harness, server.id, ACTIVE)
    compute.stop_server(CTX, server.id)
    wait_status(harness, server.id, states.ServerStatus.SHUTDOWN)
    compute.start_server(CTX, server.id)
    wait_status(harness, server.id, ACTIVE)
    compute.reboot_server(CTX, server.id)
    wait_status(harness, server.id, ACTIVE)
    compute.resize_server(CTX, server.id, dict(harness.other_flavor))
    wait_status(harness, server.id, ACTIVE)
    assert compute.get_server(CTX, server.id).flavor_id == \
        str(harness.other_flavor['id'])


def test_fence_stops_a_server_even_when_it_hangs(harness):
    """fence_server returns only once nothing on the server runs (the
    failover promotes a replica right after it); start brings it back."""
    compute = harness.provider.compute
    server = compute.create_server(CTX, new_spec(harness))
    wait_status(harness, server.id, ACTIVE)
    hang = getattr(harness, 'hang', None)
    pids = hang(server.id) if hang else []
    compute.fence_server(CTX, server.id)
    assert compute.get_server(CTX, server.id).status == \
        states.ServerStatus.SHUTDOWN
    for pid in pids:
        assert not daemon.pid_alive(pid), pid
    compute.start_server(CTX, server.id)
    wait_status(harness, server.id, ACTIVE)
    with pytest.raises(base.ServerNotFound):
        compute.fence_server(CTX, 'no-such-server')


def test_delete_is_final_and_idempotent(harness):
    compute = harness.provider.compute
    spec = new_spec(harness)
    server = compute.create_server(CTX, spec)
    wait_status(harness, server.id, ACTIVE)
    compute.delete_server(CTX, server.id)
    with pytest.raises(base.ServerNotFound):
        compute.get_server(CTX, server.id)
    with pytest.raises(base.ServerNotFound):
        compute.delete_server(CTX, server.id)
    assert compute.find_servers(CTX, spec.instance_id) == []


def test_unknown_servers_are_not_found(harness):
    compute = harness.provider.compute
    for server_id in (str(uuid.uuid4()), '../escape'):
        with pytest.raises(base.ServerNotFound):
            compute.get_server(CTX, server_id)
        with pytest.raises(base.ServerNotFound):
            compute.delete_server(CTX, server_id)


def test_volume_lifecycle_with_attachment(harness):
    provider = harness.provider
    volumes = provider.volumes
    instance_id = str(uuid.uuid4())
    volume = volumes.create_volume(CTX, base.VolumeSpec(
        instance_id=instance_id, size=1, name='contract'))
    assert volume.id != instance_id
    assert (volume.size, volume.status) == (1, 'available')
    assert [v.id for v in volumes.find_volumes(CTX, instance_id)] == \
        [volume.id]

    server = provider.compute.create_server(
        CTX, new_spec(harness, instance_id=instance_id,
                       volume_id=volume.id))
    wait_status(harness, server.id, ACTIVE)
    attachment = volumes.attach_volume(CTX, volume.id, server.id)
    assert attachment.volume_id == volume.id
    assert attachment.server_id == server.id
    assert attachment.mount_point
    # Attaching again is the same attachment.
    assert volumes.attach_volume(CTX, volume.id, server.id) == attachment
    shown = volumes.get_volume(CTX, volume.id)
    assert (shown.status, shown.attached_to) == ('in-use', server.id)
    # An attached volume is not deleted under its server.
    with pytest.raises(exception.ComputeError):
        volumes.delete_volume(CTX, volume.id)

    assert volumes.extend_volume(CTX, volume.id, 2).size == 2
    assert volumes.get_volume(CTX, volume.id).size == 2
    with pytest.raises(exception.ComputeError):
        volumes.extend_volume(CTX, volume.id, 1)

    volumes.detach_volume(CTX, volume.id, server.id)
    volumes.detach_volume(CTX, volume.id, server.id)     # idempotent
    assert volumes.get_volume(CTX, volume.id).status == 'available'
    volumes.delete_volume(CTX, volume.id)
    with pytest.raises(base.VolumeNotFound):
        volumes.get_volume(CTX, volume.id)
    with pytest.raises(base.VolumeNotFound):
        volumes.delete_volume(CTX, volume.id)
    provider.compute.delete_server(CTX, server.id)


def test_deleting_a_server_detaches_its_volume(harness):
    provider = harness.provider
    instance_id = str(uuid.uuid4())
    volume = provider.volumes.create_volume(CTX, base.VolumeSpec(
        instance_id=instance_id, size=1))
    server = provider.compute.create_server(
        CTX, new_spec(harness, instance_id=instance_id,
                       volume_id=volume.id))
    wait_status(harness, server.id, ACTIVE)
    provider.volumes.attach_volume(CTX, volume.id, server.id)
    provider.compute.delete_server(CTX, server.id)
    assert provider.volumes.get_volume(CTX, volume.id).status == \
        'available'
    provider.volumes.delete_volume(CTX, volume.id)


def test_server_groups(harness):
    compute = harness.provider.compute
    policies = compute.capabilities().locality_policies
    if not policies:
        pytest.skip('%s offers no locality' % harness.name)
    group = compute.create_server_group(CTX, 'contract', policies[0])
    assert (group.name, group.policy) == ('contract', policies[0])
    server = compute.create_server(
        CTX, new_spec(harness, server_group_id=group.id,
                       locality=policies[0]))
    wait_status(harness, server.id, ACTIVE)
    compute.delete_server(CTX, server.id)
    compute.delete_server_group(CTX, group.id)
    with pytest.raises(base.ServerGroupNotFound):
        compute.delete_server_group(CTX, group.id)


def test_validate_refuses_what_the_provider_cannot_do(harness):
    provider = harness.provider
    caps = provider.capabilities()
    refused = []
    if caps.availability_zones:
        refused.append(new_spec(harness, availability_zone='no-such-zone'))
    if not caps.nics:
        refused.append(new_spec(harness, nics=[{'net-id': 'anything'}]))
    for policy in set(base.LOCALITY_POLICIES) - set(caps.locality_policies):
        refused.append(new_spec(harness, locality=policy))
    if not caps.public_access:
        refused.append(new_spec(harness, access={'is_public': True}))
    for spec in refused:
        with pytest.raises(base.ProviderCannot) as error:
            provider.validate(spec)
        assert error.value.code == 400 and str(error.value)
        # create_server refuses it too, creating nothing.
        with pytest.raises(base.ProviderCannot):
            provider.compute.create_server(CTX, spec)
        assert provider.compute.find_servers(CTX, spec.instance_id) == []
    with pytest.raises(base.ProviderCannot):
        provider.validate(new_spec(harness), base.VolumeSpec(
            instance_id='x', size=1, volume_type='no-such-type'))
    # What it can do passes.
    provider.validate(new_spec(
        harness, availability_zone=(caps.availability_zones or (None,))[0],
        locality=(caps.locality_policies or (None,))[0]),
        base.VolumeSpec(instance_id='x', size=1,
                        volume_type=(caps.volume_types or (None,))[0]))


def test_flavors_are_listed_and_found(harness):
    flavors = harness.provider.flavors
    listed = {flavor.id: flavor for flavor in flavors.list(CTX)}
    for wanted in (harness.flavor, harness.other_flavor):
        found = flavors.get(CTX, wanted['id'])
        assert listed[found.id] == found
        assert (found.name, found.ram, found.vcpus) == (
            wanted['name'], wanted['ram'], wanted['vcpus'])
    with pytest.raises(exception.FlavorNotFound):
        flavors.get(CTX, 'no-such-flavor-' + uuid.uuid4().hex)
