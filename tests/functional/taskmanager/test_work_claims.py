"""Work claims in the real taskmanager: casts about unknown work do
nothing, a delete supersedes a running build, abandoned work is taken
over by the sweep (resumed, or ended with a fault), periodic checks run
once per interval whatever the number of taskmanagers."""

import datetime
import os
import time
import uuid

import sqlalchemy as sa

from tests.functional.taskmanager.conftest import FLAVOR
from tests.helpers.processes import wait_until
from trove import compute
from trove.common import context as trove_context
from trove.common import states
from trove.compute import base as compute_base
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import work_claims as claims
from trove.taskmanager import guest_files

Tasks = states.InstanceTasks


def abandon(world, instance_id, owner='dead-taskmanager:1:0', step=None):
    """Make the instance's work look like a dead taskmanager's."""
    past = db_models.utcnow() - datetime.timedelta(seconds=5)
    with db_api.writer(world.context) as session:
        session.execute(sa.update(db_models.WorkClaim).where(
            db_models.WorkClaim.resource_id == instance_id).values(
            owner=owner, lease_expires=past, step=step, attempts=1))


def task_events(world, instance_id):
    """(kind, message) of the instance's task events, oldest first."""
    with db_api.reader(world.context) as session:
        found = session.query(db_models.InstanceEvent).filter(
            db_models.InstanceEvent.instance_id == instance_id,
            db_models.InstanceEvent.kind.like('task_%')).order_by(
            db_models.InstanceEvent.id).all()
        return [(event.kind, event.message) for event in found]


def server_dirs_of(world, instance_id):
    found = compute.get_provider().compute.find_servers(None, instance_id)
    return [os.path.join(world.instances_dir, s.id) for s in found]


def test_a_cast_for_unknown_work_provisions_nothing(world):
    world.use_guest('healthy')
    unknown = str(uuid.uuid4())
    before = sorted(os.listdir(world.instances_dir)) \
        if os.path.isdir(world.instances_dir) else []
    world.cast_create(unknown)
    world.api().delete_instance(unknown)
    world.api().restart(unknown)
    time.sleep(1)
    assert world.manager.wait_idle(10)
    after = sorted(os.listdir(world.instances_dir)) \
        if os.path.isdir(world.instances_dir) else []
    assert after == before
    assert server_dirs_of(world, unknown) == []
    assert world.work(unknown) is None


def test_a_delete_supersedes_a_running_build(world):
    # The guest takes prepare and never answers: the build waits.
    world.use_guest('silent')
    instance_id = world.new_instance()
    world.cast_create(instance_id)
    wait_until(lambda: world.work(instance_id) is not None
               and world.work(instance_id).step == 'send_prepare',
               timeout=20, message='the build never sent prepare')
    server_dir = world.server_dir(instance_id)
    volume_dir = world.volume_dir(instance_id)
    world.delete(instance_id)
    # The build stopped on the delete; it did not run to its own timeout.
    events = task_events(world, instance_id)
    assert events[0] == ('task_start', 'The build of the instance started.')
    assert 'task_failed' not in [kind for kind, _message in events], events
    assert not os.path.exists(server_dir)
    assert not os.path.exists(volume_dir)
    # The row is marked deleted just before the flow releases its claim.
    wait_until(lambda: world.work(instance_id) is None, timeout=10,
               message='the delete kept its work claim')


def test_work_held_by_a_live_owner_is_left_alone(world):
    world.use_guest('healthy')
    instance_id = world.new_instance(has_secrets=False)
    assert claims.claim(world.context, instance_id, 'create',
                        owner='other-taskmanager:1:0') is not None
    world.cast_create(instance_id, users=[])
    time.sleep(1)
    world.manager.wait_idle(10)
    assert world.row(instance_id).compute_instance_id is None
    assert world.task(instance_id) is Tasks.BUILDING
    # Nobody sweeps live work either.
    assert world.manager.sweep_abandoned_work() == []
    claims.forget(world.context, instance_id)
    world.delete(instance_id)


def test_lost_work_without_secrets_is_resumed_by_the_sweep(world):
    world.use_guest('healthy')
    instance_id = world.new_instance(has_secrets=False)
    abandon(world, instance_id, owner=None)     # its cast was lost
    assert world.manager.sweep_abandoned_work() == [instance_id]
    world.wait_task(instance_id, Tasks.NONE)
    assert world.row(instance_id).server_status == states.ServerStatus.ACTIVE
    prepare = [c for c in world.calls(instance_id)
               if c['method'] == 'prepare'][0]['args']
    assert prepare['databases'][0]['_name'] == 'shop'
    assert world.work(instance_id) is None
    world.delete(instance_id)


def test_lost_work_needing_passwords_ends_with_a_fault(world):
    world.use_guest('healthy')
    instance_id = world.new_instance(has_secrets=True)
    abandon(world, instance_id, owner=None)
    assert world.manager.sweep_abandoned_work() == [instance_id]
    world.wait_task(instance_id, Tasks.BUILDING_ERROR_SERVER)
    assert 'interrupted before the passwords reached the guest' in \
        world.fault(instance_id).message
    assert world.work(instance_id) is None
    world.delete(instance_id)


def test_a_resumed_build_adopts_the_server_a_dead_one_made(world):
    world.use_guest('healthy')
    instance_id = world.new_instance(has_secrets=False)
    # The dead taskmanager made a volume and a server but died before
    # recording either.
    provider = compute.get_provider()
    volume = provider.volumes.create_volume(None, compute_base.VolumeSpec(
        instance_id=instance_id, size=1))
    server = provider.compute.create_server(None, compute_base.ServerSpec(
        instance_id=instance_id, name='orphan', flavor=FLAVOR,
        datastore_manager='mariadb', volume_id=volume.id,
        guest_files=guest_files.build(instance_id, 'mariadb', '10.11.19',
                                      'demo')))
    abandon(world, instance_id, step='create_server_group')
    assert world.manager.sweep_abandoned_work() == [instance_id]
    world.wait_task(instance_id, Tasks.NONE)
    row = world.row(instance_id)
    assert (row.compute_instance_id, row.volume_id) == (server.id, volume.id)
    assert server_dirs_of(world, instance_id) == [world.server_dir(
        instance_id)]
    assert len(provider.volumes.find_volumes(None, instance_id)) == 1
    world.delete(instance_id)


def test_work_taken_over_too_often_is_not_tried_again(world):
    world.use_guest('healthy')
    instance_id = world.new_instance(has_secrets=False)
    abandon(world, instance_id)
    with db_api.writer(world.context) as session:
        session.execute(sa.update(db_models.WorkClaim).where(
            db_models.WorkClaim.resource_id == instance_id).values(
            attempts=10))
    assert world.manager.sweep_abandoned_work() == [instance_id]
    world.wait_task(instance_id, Tasks.BUILDING_ERROR_SERVER)
    assert 'interrupted' in world.fault(instance_id).message
    assert world.row(instance_id).compute_instance_id is None
    world.delete(instance_id)


def test_a_superseded_claim_is_lost_and_handed_over(world):
    context = trove_context.get_admin_context()
    resource_id = str(uuid.uuid4())
    claims.submit_now(context, resource_id, 'instance', 'create')
    first = claims.claim(context, resource_id, 'create', owner='tm-a')
    assert first is not None and first.attempts == 1
    assert claims.claim(context, resource_id, 'create', owner='tm-b') is None
    claims.submit_now(context, resource_id, 'instance', 'delete')
    # The running build finds out at its next step...
    try:
        claims.checkpoint(context, first, 'create_volume')
        raise AssertionError('a superseded claim checkpointed')
    except claims.ClaimLost:
        pass
    assert not claims.still_held(context, first)
    # ...and the delete waits for it to let go (or for its lease to end).
    assert claims.claim(context, resource_id, 'delete', owner='tm-b') is None
    assert claims.renew(context, {resource_id: 'create'}, owner='tm-a') == {
        resource_id: 'delete'}
    claims.release(context, first)
    second = claims.claim(context, resource_id, 'delete', owner='tm-b')
    assert second is not None and second.flow == 'delete'
    claims.release(context, second)
    assert claims.current(context, resource_id) is None


def test_a_build_ending_after_its_own_taskmanager_took_the_delete(world):
    """One taskmanager runs a build, the delete is submitted and the same
    taskmanager claims it at once (its owner is the build's); the build
    then lets go of its claim: the delete's claim stays (before, the
    build's release handed the resource over again, and the delete lost
    its claim at its next step and waited for the sweep)."""
    context = trove_context.get_admin_context()
    resource_id = str(uuid.uuid4())
    claims.submit_now(context, resource_id, 'instance', 'create')
    build = claims.claim(context, resource_id, 'create', owner='tm-a')
    claims.submit_now(context, resource_id, 'instance', 'delete')
    delete = claims.claim(context, resource_id, 'delete', owner='tm-a')
    assert delete is not None
    claims.release(context, build)
    claims.checkpoint(context, delete, 'stop_datastore')
    assert claims.still_held(context, delete)
    claims.release(context, delete)
    assert claims.current(context, resource_id) is None


def test_periodic_checks_take_turns(world):
    context = trove_context.get_admin_context()
    name = 'test-check-%s' % uuid.uuid4().hex[:6]
    assert claims.periodic_turn(context, name, 1, owner='tm-a')
    assert not claims.periodic_turn(context, name, 1, owner='tm-b')
    assert not claims.periodic_turn(context, name, 1, owner='tm-a')
    time.sleep(1)
    turns = [claims.periodic_turn(context, name, 1, owner=owner)
             for owner in ('tm-b', 'tm-a')]
    assert turns == [True, False]
