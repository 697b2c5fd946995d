"""The taskmanager's backup work on a real control database: the periodic
check that fails backups which can no longer end, and the deletion of
backup objects."""

import datetime
import os
import threading

import oslo_messaging as messaging
import pytest
import sqlalchemy as sa

from trove.common import backup_failure as failure
from trove.common import service
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.guestagent import api as guest_api
from trove.records import work_claims as claims
from trove.taskmanager.flows import backup as backup_flows

pytestmark = pytest.mark.functional


@pytest.fixture(autouse=True)
def quick_pings():
    """A silent guest is pinged before its backup is failed: not 15 s."""
    CONF.set_override('agent_call_low_timeout', 3)
    yield
    CONF.clear_override('agent_call_low_timeout')


def set_heartbeat(world, instance_id, seconds_ago):
    then = db_models.utcnow() - datetime.timedelta(seconds=seconds_ago)
    with db_api.writer(world.context) as session:
        session.execute(sa.update(db_models.ServiceStatusRecord).where(
            db_models.ServiceStatusRecord.instance_id == instance_id)
            .values(updated_at=then))


def delete_instance_row(world, instance_id):
    with db_api.writer(world.context) as session:
        session.execute(sa.update(db_models.Instance).where(
            db_models.Instance.id == instance_id).values(deleted=True))


def test_backups_that_cannot_end_become_failed(world):
    expiry = CONF.agent_heartbeat_expiry
    healthy = world.instance()
    silent = world.instance()
    gone = world.instance()
    running = world.backup(healthy, state='BUILDING')
    done = world.backup(healthy, state='COMPLETED')
    stale_guest = world.backup(silent, state='BUILDING')
    world.age(stale_guest, days=0.01)
    set_heartbeat(world, silent, expiry + 5)
    orphan = world.backup(gone, state='NEW')
    delete_instance_row(world, gone)
    too_long = world.backup(healthy, state='NEW')
    world.age(too_long, days=(CONF.backup_timeout + 120) / 86400)

    failed = backup_flows.check_stuck_backups(world.context)

    assert sorted(failed) == sorted([stale_guest, orphan, too_long])
    assert world.row(running).state == 'BUILDING'
    assert world.row(done).state == 'COMPLETED'
    reasons = {backup_id: failure.failure_reason(
        world.row(backup_id).description) for backup_id in failed}
    assert 'stopped reporting' in reasons[stale_guest]
    assert 'deleted' in reasons[orphan]
    assert 'did not finish within' in reasons[too_long]
    assert all(world.row(b).state == 'FAILED' for b in failed)
    # Nothing left to do the second time.
    assert backup_flows.check_stuck_backups(world.context) == []


class PingingGuest:
    """An agent that is alive: it answers pings."""

    target = messaging.Target(version='1.0')

    def rpc_ping(self, context):
        return True


def test_a_live_guest_whose_heartbeats_are_late_keeps_its_backup(world):
    """No heartbeat recorded (the conductor is down) but the agent answers:
    the backup runs on; its results wait in the conductor's queue."""
    alive = world.instance()
    backup_id = world.backup(alive, state='BUILDING')
    world.age(backup_id, days=0.01)
    set_heartbeat(world, alive, CONF.agent_heartbeat_expiry + 5)
    server = service.RpcService(guest_api.topic(alive), alive,
                                [PingingGuest()])
    server.start()
    try:
        assert backup_flows.check_stuck_backups(world.context) == []
    finally:
        server.stop()
    assert world.row(backup_id).state == 'BUILDING'


def test_heartbeats_back_while_the_ping_waits_keep_the_backup(world):
    """Around a broker restart the check finds the heartbeats stale and
    its ping fails (the broker, then the reply queues, are not back yet)
    while the agent's heartbeats are recorded again: the silence was the
    broker's, the backup runs on (its result is on its way)."""
    instance_id = world.instance()
    backup_id = world.backup(instance_id, state='BUILDING')
    world.age(backup_id, days=0.01)
    set_heartbeat(world, instance_id, CONF.agent_heartbeat_expiry + 5)
    # No agent answers; a heartbeat is recorded while it is pinged.
    beat = threading.Timer(1.0, set_heartbeat, (world, instance_id, 0))
    beat.start()
    try:
        assert backup_flows.check_stuck_backups(world.context) == []
    finally:
        beat.join()
    assert world.row(backup_id).state == 'BUILDING'
    # Silent for real: failed.
    set_heartbeat(world, instance_id, CONF.agent_heartbeat_expiry + 5)
    assert backup_flows.check_stuck_backups(world.context) == [backup_id]


def test_a_late_check_never_undoes_a_guest_report(world):
    instance_id = world.instance()
    backup_id = world.backup(instance_id, state='COMPLETED')
    assert not backup_flows.mark_failed(world.context, backup_id, 'late')
    assert world.row(backup_id).state == 'COMPLETED'


def test_failure_reason_keeps_the_users_description(world):
    instance_id = world.instance()
    backup_id = world.backup(instance_id, state='NEW')
    with db_api.writer(world.context) as session:
        session.get(db_models.Backup, backup_id).description = 'weekly'
    backup_flows.mark_failed(world.context, backup_id, 'disk full')
    assert world.row(backup_id).description == \
        'weekly | Backup failed: disk full'


def delete_objects(world, backup_id):
    """The delete_backup work as the API submits it, run by the flow."""
    claims.submit_now(world.context, backup_id, 'backup', 'delete_backup')
    work = claims.claim(world.context, backup_id, 'delete_backup')
    backup_flows.DeleteBackupFlow(world.context, work, provider=None).run()
    assert claims.current(world.context, backup_id) is None


def test_delete_flow_removes_objects_but_not_registered_ones(world):
    instance_id = world.instance()
    mine = world.stored_backup(instance_id, b'mine')
    registered = world.stored_backup(instance_id, b'theirs',
                                     state='RESTORED')
    for row in (mine, registered):
        delete_objects(world, row.id)
    assert not os.path.exists(mine.location[len('file://'):])
    assert not os.path.exists(mine.location[len('file://'):] + '.meta.json')
    assert os.path.exists(registered.location[len('file://'):])


def test_delete_flow_never_leaves_the_backup_directory(world, tmp_path):
    precious = tmp_path / 'not-a-backup'
    precious.write_text('keep me')
    instance_id = world.instance()
    outside = world.backup(instance_id, location='file://%s' % precious)
    delete_objects(world, outside)
    assert world.row(outside).state == states.BackupState.DELETE_FAILED
    assert precious.read_text() == 'keep me'
