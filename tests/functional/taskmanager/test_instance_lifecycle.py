"""Instance flows of the real taskmanager, with fake guest agent processes."""

import datetime
import ipaddress
import json
import os

from tests.functional.taskmanager import fake_guest_agent
from tests.functional.taskmanager.conftest import BIGGER, FLAVOR
from tests.helpers.processes import wait_until
from trove.common import context as trove_context
from trove.common import daemon, states
from trove.compute.local import processes
from trove.conf import CONF
from trove.db import models as db_models
from trove.records import events

Tasks = states.InstanceTasks
Statuses = states.ServiceStatuses


def live_pids(world, instance_id):
    return processes.instance_pids(world.server_dir(instance_id))


def assert_cleaned_up(world, instance_id, pids, dirs):
    row = world.row(instance_id)
    assert row.deleted and row.deleted_at is not None
    assert world.task(instance_id) is Tasks.NONE
    assert row.server_status == states.ServerStatus.DELETED
    assert world.service_status(instance_id) is Statuses.DELETED
    assert world.fault(instance_id) is None
    # The row shows deleted before the flow's last steps (the broker
    # user) are done and its work released.
    wait_until(lambda: world.work(instance_id) is None, timeout=10,
               interval=0.1, message='the delete work was never released')
    assert dirs and not any(os.path.exists(path) for path in dirs)
    assert pids and not any(daemon.pid_alive(pid) for pid in pids)


def test_create_reaches_active_then_delete_cleans_everything(world):
    world.use_guest('healthy')
    instance_id = world.new_instance()
    world.cast_create(instance_id)
    world.wait_task(instance_id, Tasks.NONE)

    row = world.row(instance_id)
    assert row.server_status == states.ServerStatus.ACTIVE
    # The provider's own ids.
    assert row.compute_instance_id and row.compute_instance_id != instance_id
    assert row.volume_id and row.volume_id != instance_id
    # The work is done and gone (released just after the last step sets
    # the task, so a moment after ACTIVE shows).
    wait_until(lambda: world.work(instance_id) is None, timeout=10,
               interval=0.1, message='the create work was never released')
    address = json.loads(row.addresses)[0]
    assert address['type'] == 'private'
    assert ipaddress.ip_address(address['address']) in \
        ipaddress.ip_network(CONF.local.address_pool)
    assert world.service_status(instance_id) is Statuses.HEALTHY
    assert world.fault(instance_id) is None

    prepare = [c for c in world.calls(instance_id)
               if c['method'] == 'prepare'][0]['args']
    assert prepare['memory_mb'] == FLAVOR['ram']
    assert 'innodb_buffer_pool_size = 256M' in prepare['config_contents']
    assert '# mariadb 10.11.19' in prepare['config_contents']
    # Where the provider attached the volume, not a generic path.
    assert prepare['device_path'] == world.volume_dir(instance_id)
    assert prepare['mount_point'] == os.path.join(
        world.volume_dir(instance_id), 'mount')
    assert prepare['ds_version'] == '10.11.19'
    assert prepare['databases'][0]['_name'] == 'shop'
    assert prepare['users'][0]['_name'] == 'app'
    assert prepare['packages'] == []

    pids = live_pids(world, instance_id)
    dirs = [world.server_dir(instance_id), world.volume_dir(instance_id)]
    world.delete(instance_id)
    assert_cleaned_up(world, instance_id, pids, dirs)


def test_active_as_soon_as_the_guest_reports(world):
    """The guest's report is read a few times a second; usage_sleep_time
    only spaces the server checks (on a cloud, each is a call to Nova)."""
    world.use_guest('healthy')
    CONF.set_override('usage_sleep_time', 60)
    try:
        instance_id = world.new_instance()
        world.cast_create(instance_id)
        world.wait_task(instance_id, Tasks.NONE, timeout=15)
    finally:
        CONF.set_override('usage_sleep_time', 1)
    assert world.service_status(instance_id) is Statuses.HEALTHY
    world.delete(instance_id)


def test_restart_resize_and_reboot_end_with_no_task(world):
    world.use_guest('healthy')
    instance_id = world.new_instance()
    world.cast_create(instance_id)
    world.wait_task(instance_id, Tasks.NONE)
    api = world.api()

    world.submit(instance_id, Tasks.REBOOTING, 'restart')
    api.restart(instance_id)
    world.wait_task(instance_id, Tasks.NONE)

    world.submit(instance_id, Tasks.RESIZING, 'resize_volume', new_size=3)
    api.resize_volume(instance_id)
    world.wait_task(instance_id, Tasks.NONE)
    assert world.row(instance_id).volume_size == 3
    with open(os.path.join(world.volume_dir(instance_id),
                           'volume.json')) as record:
        assert json.load(record)['size'] == 3

    world.submit(instance_id, Tasks.RESIZING, 'resize_flavor',
                 old_flavor_id=FLAVOR['id'], new_flavor_id=BIGGER['id'])
    api.resize_flavor(instance_id)
    world.wait_task(instance_id, Tasks.NONE)
    assert world.row(instance_id).flavor_id == BIGGER['id']

    agent = processes.agent_pid(world.server_dir(instance_id))
    world.submit(instance_id, Tasks.REBOOTING, 'reboot')
    api.reboot(instance_id)
    world.wait_task(instance_id, Tasks.NONE)
    assert processes.agent_pid(world.server_dir(instance_id)) != agent
    assert world.row(instance_id).server_status == states.ServerStatus.ACTIVE

    methods = [c['method'] for c in world.calls(instance_id)]
    assert methods[:6] == ['prepare', 'restart', 'resize_fs', 'stop_db',
                           'start_db_with_conf_changes', 'stop_db']
    assert methods[6:] == ['restart']
    resized = [c for c in world.calls(instance_id)
               if c['method'] == 'start_db_with_conf_changes'][0]['args']
    assert 'innodb_buffer_pool_size = 1024M' in resized['config_contents']
    assert resized['ds_version'] == '10.11.19'
    assert world.fault(instance_id) is None

    # Each flow's start and end are in the event log, oldest last.
    def logged():
        return [(row.kind, row.message) for row in events.list_page(
            trove_context.get_admin_context(), instance_id, 100)][::-1]
    wait_until(lambda: len(logged()) == 10, timeout=10, interval=0.1,
               message='the end of the reboot was never logged')
    assert [kind for kind, _message in logged()] == [
        events.TASK_START, events.TASK_END] * 5
    assert logged()[2] == (events.TASK_START, 'The restart of the database '
                           'engine started.')
    assert logged()[-1] == (events.TASK_END,
                            'The reboot of the server finished.')
    world.delete(instance_id)


def test_a_guest_that_never_reports_times_out_with_a_fault(world):
    world.use_guest('silent')
    CONF.set_override('usage_timeout', 3, group='mariadb')
    try:
        instance_id = world.new_instance()
        world.cast_create(instance_id)
        world.wait_task(instance_id, Tasks.BUILDING_ERROR_TIMEOUT_GA)
    finally:
        CONF.set_override('usage_timeout', 30, group='mariadb')
    assert world.service_status(instance_id) is \
        Statuses.FAILED_TIMEOUT_GUESTAGENT
    assert world.fault(instance_id).message == (
        'The guest agent did not report the database ready within 3 '
        'seconds.')
    # The guest did get the prepare request; it just never answered.
    assert [c['method'] for c in world.calls(instance_id)] == ['prepare']
    pids = live_pids(world, instance_id)
    dirs = [world.server_dir(instance_id), world.volume_dir(instance_id)]
    world.delete(instance_id)
    assert_cleaned_up(world, instance_id, pids, dirs)


def test_an_agent_that_dies_is_a_server_error_with_its_output(world):
    world.use_guest('die')
    instance_id = world.new_instance()
    world.cast_create(instance_id)
    world.wait_task(instance_id, Tasks.BUILDING_ERROR_SERVER)
    assert world.row(instance_id).server_status == states.ServerStatus.ERROR
    assert 'boom-42' in world.fault(instance_id).message
    server_dir = world.server_dir(instance_id)
    world.delete(instance_id)
    assert not os.path.exists(server_dir)


def test_a_datastore_that_fails_keeps_the_guests_fault(world):
    world.use_guest('fail')
    instance_id = world.new_instance()
    world.cast_create(instance_id)
    world.wait_task(instance_id, Tasks.BUILDING_ERROR_SERVER, timeout=15)
    # One message carried the status and the fault: the error task comes
    # with the guest's own words at once, never a generic stand-in.
    assert world.fault(instance_id).message == fake_guest_agent.FAIL_MESSAGE
    assert world.service_status(instance_id) is Statuses.FAILED
    world.delete(instance_id)


def test_a_missing_template_fails_before_any_resource_exists(world):
    world.use_guest('healthy')
    instance_id = world.new_instance(manager='redis')
    world.cast_create(instance_id)
    world.wait_task(instance_id, Tasks.BUILDING_ERROR_SERVER)
    assert 'redis/config.template' in world.fault(instance_id).message
    row = world.row(instance_id)
    assert row.compute_instance_id is None and row.volume_id is None
    world.delete(instance_id)


def test_a_volume_that_cannot_be_made_is_a_volume_error(world):
    world.use_guest('healthy')
    instance_id = world.new_instance(volume_size=-1)
    world.cast_create(instance_id)
    world.wait_task(instance_id, Tasks.BUILDING_ERROR_VOLUME)
    assert world.fault(instance_id).message.startswith(
        'Could not create the -1 GB data volume')
    world.delete(instance_id)


def test_a_server_that_cannot_be_made_is_a_server_error(world):
    world.use_guest('healthy')
    pool = CONF.local.address_pool
    # A pool without a usable address (.255 hosts are skipped).
    CONF.set_override('address_pool', '127.78.0.255/32', group='local')
    try:
        instance_id = world.new_instance()
        world.cast_create(instance_id)
        world.wait_task(instance_id, Tasks.BUILDING_ERROR_SERVER)
    finally:
        CONF.set_override('address_pool', pool, group='local')
    assert 'no free address' in world.fault(instance_id).message
    volume_dir = world.volume_dir(instance_id)
    assert os.path.exists(volume_dir)
    world.delete(instance_id)
    assert not os.path.exists(volume_dir)


def test_the_periodic_check_moves_stuck_tasks_to_their_error(world):
    long_ago = db_models.utcnow() - datetime.timedelta(days=2)
    stuck_build = world.new_instance(started=long_ago)
    stuck_restart = world.new_instance(task=Tasks.REBOOTING, started=long_ago)
    fresh_build = world.new_instance()

    moved = world.manager.check_stuck_tasks()

    assert set(moved) == {stuck_build, stuck_restart}
    assert world.task(stuck_build) is Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert world.service_status(stuck_build) is \
        Statuses.FAILED_TIMEOUT_GUESTAGENT
    assert 'Building the instance did not finish within' in \
        world.fault(stuck_build).message
    assert world.task(stuck_restart) is Tasks.REBOOTING_ERROR
    assert 'Restarting the instance did not finish within' in \
        world.fault(stuck_restart).message
    assert world.task(fresh_build) is Tasks.BUILDING
    assert world.fault(fresh_build) is None
    assert world.manager.check_stuck_tasks() == []
