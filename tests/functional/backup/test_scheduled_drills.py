"""Restore drills run by a backup schedule (``"action": "drill"``) and
drills of a point in time (``restoreTime``): the API's checks, the
backup a scheduled run chooses, its outcome, and the sandbox a drill of
a point asks for (the restore path of a point-in-time restore).

As in test_schedules: the API in this process on a seeded SQLite control
database, the runner called one turn at a time, the sandbox's create
cast to a recording taskmanager.
"""

import pytest
import sqlalchemy as sa

from tests.functional.backup.conftest import BASE, fault, ok
from tests.functional.backup.test_pitr import (T0, at, backup_at, binlog,
                                               moment, report)
from tests.functional.backup.test_schedules import (
    create, logged, make_due, path, schedule_row, set_backup)
from trove.backup import drills
from trove.backup import schedule_runner
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import events

pytestmark = pytest.mark.functional


def drill_schedule(world, instance_id, **body):
    body.setdefault('action', 'drill')
    body.setdefault('interval', 20)
    return world.api.request('POST', path(instance_id),
                             {'backup_schedule': dict(name='drills', **body)})


def drill_row(world, drill_id):
    with db_api.reader(world.context) as session:
        return session.get(db_models.BackupDrill, drill_id)


def set_drill(world, drill_id, **values):
    with db_api.writer(world.context) as session:
        session.execute(sa.update(db_models.BackupDrill).where(
            db_models.BackupDrill.id == drill_id).values(**values))


def instance_fault(world, instance_id):
    shown = ok(world.api.get(BASE + '/instances/' + instance_id))['instance']
    return (shown.get('fault') or {}).get('message')


# The API ---------------------------------------------------------------------
@pytest.mark.parametrize('body, words', [
    ({'retention': {'count': 3}}, 'takes no "retention"'),
    ({'full_every': 2}, 'takes no "full_every"'),
    ({'storage_driver': 'local', 'swift_container': 'c'},
     'takes no "storage_driver", "swift_container"'),
    ({'drill': {'query': 'DELETE FROM shop.orders'}}, 'one SELECT'),
    ({'drill': {'restoreTime': '2026-12-05T11:50:30Z'}}, '"latest" only'),
    ({'drill': {'user': 'x'}}, 'user'),
    ({'action': 'restore'}, 'action'),
    ({'action': 'backup', 'retention': {'count': 3},
      'drill': {'query': 'SELECT 1'}}, 'need "action": "drill"'),
    ({'interval': 2}, 'at least 10 seconds'),
])
def test_bad_drill_schedules_are_400(world, body, words):
    instance_id = world.instance()
    assert words in fault(drill_schedule(world, instance_id, **body), 400)
    assert ok(world.api.get(path(instance_id)))['backup_schedules'] == []


def test_a_drill_schedule_needs_no_retention_and_shows_its_checks(world):
    instance_id = world.instance()
    created = ok(drill_schedule(world, instance_id, drill={
        'query': ' SELECT 1; ', 'database': 'shop',
        'restoreTime': 'LATEST'}))['backup_schedule']
    assert (created['action'], created['drill'], created['retention'],
            created['full_every'], created['last_drill_id']) == (
        'drill', {'query': 'SELECT 1', 'database': 'shop',
                  'restoreTime': 'latest'}, {}, None, None)
    assert ok(world.api.get(path(instance_id, created['id'])))[
        'backup_schedule'] == created
    # A schedule of backups shows its action, and no drill.
    backups = ok(create(world, instance_id))['backup_schedule']
    assert (backups['action'], backups['drill']) == ('backup', None)
    assert 'restore drills, every 20 seconds' in logged(world,
                                                        instance_id)[1][1]


# The runner ------------------------------------------------------------------
def test_a_run_drills_the_latest_restorable_backup_once(world):
    instance_id = world.instance()
    older = backup_at(world, instance_id, T0 + 10, T0 + 20)
    newest = backup_at(world, instance_id, T0 + 100, T0 + 110)
    # Not restorable, or not this instance's: never chosen.
    backup_at(world, instance_id, T0 + 200, T0 + 210, state='FAILED')
    backup_at(world, instance_id, T0 + 300, T0 + 310, state='BUILDING')
    broken = backup_at(world, instance_id, T0 + 400, T0 + 410,
                       state='FAILED')
    backup_at(world, instance_id, T0 + 500, T0 + 510, parent_id=broken)
    gone = backup_at(world, instance_id, T0 + 600, T0 + 610)
    set_backup(world, gone, deleted=True)
    backup_at(world, world.instance(), T0 + 700, T0 + 710)
    schedule = ok(drill_schedule(world, instance_id, drill={
        'query': 'SELECT 1'}))['backup_schedule']

    make_due(world, schedule['id'])
    drill_id = schedule_runner.run_due(world.context)[schedule['id']]
    assert schedule_runner.run_due(world.context) == {}
    drill = drill_row(world, drill_id)
    assert (drill.backup_id, drill.schedule_id, drill.state,
            drill.check_query, drill.restore_time) == (
        newest, schedule['id'], drills.PENDING, 'SELECT 1', None)
    row = schedule_row(world, schedule['id'])
    assert (row.last_backup_id, row.last_drill_id, row.last_result,
            row.runs) == (newest, drill_id, 'running', 1)
    kind, message = logged(world, instance_id)[0]
    assert kind == events.DRILL and 'requested by backup schedule ' + \
        schedule['id'] in message
    assert older != newest

    # Due again while its drill runs: skipped, no fault.
    make_due(world, schedule['id'])
    assert schedule_runner.run_due(world.context) == {
        schedule['id']: 'skipped'}
    kind, message = logged(world, instance_id)[0]
    assert kind == events.SCHEDULE and drill_id + ' still runs' in message
    assert instance_fault(world, instance_id) is None

    # Its drill passed: the schedule says so, and runs the next one.
    set_drill(world, drill_id, state=drills.PASSED, rto_s=12.5)
    schedule_runner.run_due(world.context)
    assert schedule_row(world, schedule['id']).last_result == \
        'passed (RTO 12.5 s)'
    make_due(world, schedule['id'])
    second = schedule_runner.run_due(world.context)[schedule['id']]
    assert second != drill_id and drill_row(world, second).backup_id == \
        newest


def test_a_run_with_nothing_to_drill_is_an_event_and_a_fault(world):
    instance_id = world.instance()
    world.backup(instance_id, state=states.BackupState.BUILDING)
    schedule = ok(drill_schedule(world, instance_id))['backup_schedule']
    make_due(world, schedule['id'])
    assert schedule_runner.run_due(world.context) == {
        schedule['id']: 'failed'}
    message = instance_fault(world, instance_id)
    assert 'restore drill of schedule' in message and \
        'no completed backup to drill' in message
    assert schedule_row(world, schedule['id']).last_result.startswith(
        'failed: ')


def test_a_failed_scheduled_drill_is_an_event_and_a_fault(world):
    instance_id = world.instance()
    world.stored_backup(instance_id)
    schedule = ok(drill_schedule(world, instance_id))['backup_schedule']
    make_due(world, schedule['id'])
    drill_id = schedule_runner.run_due(world.context)[schedule['id']]
    CONF.set_override('backup_drill_flavor', '999')
    try:
        assert drills.run(world.context) == {drill_id: drills.FAILED}
    finally:
        CONF.clear_override('backup_drill_flavor')
    message = instance_fault(world, instance_id)
    assert message.startswith('Scheduled restore drill of backup') and \
        'the sandbox could not be made' in message
    assert any(kind == events.DRILL and 'Scheduled restore drill' in text
               and 'failed' in text for kind, text in logged(world,
                                                             instance_id))
    schedule_runner.run_due(world.context)
    assert schedule_row(world, schedule['id']).last_result.startswith(
        'failed: the sandbox could not be made')


def stored_at(world, instance_id, started, completed, parent=None):
    """A completed backup with its object in the local storage."""
    row = world.stored_backup(instance_id, parent=parent)
    with db_api.writer(world.context) as session:
        stored = session.get(db_models.Backup, row.id)
        stored.created, stored.updated = moment(started), moment(completed)
    return world.row(row.id)


def archived_window(world, instance_id):
    """Binary logs archived from T0 to T0 + 400, a full backup completed
    at T0 + 50 and an incremental one at T0 + 250; their ids."""
    report(world, instance_id, *[
        binlog(world, instance_id, seq, T0 + begin, T0 + begin + 100)
        for seq, begin in enumerate((0, 100, 200, 300), start=1)])
    full = stored_at(world, instance_id, T0 + 40, T0 + 50)
    return full.id, stored_at(world, instance_id, T0 + 240, T0 + 250,
                              parent=full).id


def test_a_drill_schedule_of_latest_drills_the_end_of_the_window(world):
    instance_id = world.instance()
    _full, incremental = archived_window(world, instance_id)
    schedule = ok(drill_schedule(world, instance_id, drill={
        'restoreTime': 'latest'}))['backup_schedule']
    make_due(world, schedule['id'])
    drill_id = schedule_runner.run_due(world.context)[schedule['id']]
    drill = drill_row(world, drill_id)
    assert (drill.backup_id, drill.restore_time) == (incremental, 'latest')

    # Without a window, the run cannot start.
    bare = world.instance()
    world.backup(bare, location='file:///x')
    schedule = ok(drill_schedule(world, bare, drill={
        'restoreTime': 'latest'}))['backup_schedule']
    make_due(world, schedule['id'])
    assert schedule_runner.run_due(world.context) == {
        schedule['id']: 'failed'}
    assert 'no restorable window' in instance_fault(world, bare)


# Drills of a point in time ---------------------------------------------------
def drill_url(backup_id):
    return '%s/backups/%s/drill' % (BASE, backup_id)


def test_a_drill_of_a_point_restores_it_into_the_sandbox(world):
    instance_id = world.instance()
    full, incremental = archived_window(world, instance_id)
    drill = ok(world.api.request('POST', drill_url(full), {'drill': {
        'restoreTime': at(T0 + 180)}}), 202)['drill']
    assert drill['restoreTime'] == at(T0 + 180)
    assert drill['schedule_id'] is None
    assert 'rolled forward to ' + at(T0 + 180) in logged(world,
                                                         instance_id)[0][1]
    assert drills.run(world.context) == {drill['id']: drills.RESTORING}
    [cast] = world.taskmanager.wait_for('create_instance')
    assert cast['instance_id'] == drill_row(world, drill['id']).sandbox_id
    args = cast['work'].args
    assert args['backup_id'] == full
    assert args['pitr']['target'] == pytest.approx(T0 + 180)
    assert [a['name'] for a in args['pitr']['archives']] == [
        'mysql-bin.%06d' % seq for seq in (1, 2, 3, 4)]
    # The sandbox shows what it restores to.
    sandbox = ok(world.api.get(BASE + '/instances/' + cast['instance_id']))[
        'instance']
    assert sandbox['restored_to']['restoreTime'] == at(T0 + 180)

    # "latest" is kept as such; the base must reach the time.
    latest = ok(world.api.request('POST', drill_url(incremental), {
        'drill': {'restoreTime': 'latest'}}), 202)['drill']
    assert latest['restoreTime'] == 'latest'


# Seconds after T0, not times: the test ids must not depend on the clock
# (each xdist worker collects them, and their ids must agree).
@pytest.mark.parametrize('when, words', [
    (3600, 'outside the restorable window'),
    (10, 'outside the restorable window'),
    (150, 'completed after that time'),
    ('yesterday', 'not an ISO 8601 time'),
])
def test_a_drill_of_a_point_the_window_does_not_cover_is_400(world, when,
                                                             words):
    instance_id = world.instance()
    _full, incremental = archived_window(world, instance_id)
    message = fault(world.api.request('POST', drill_url(incremental), {
        'drill': {'restoreTime': at(T0 + when) if isinstance(when, int)
                  else when}}), 400)
    assert words in message
    with db_api.reader(world.context) as session:
        assert session.scalars(sa.select(db_models.BackupDrill)).first() \
            is None


def test_a_drill_of_a_point_of_an_instance_without_archive_is_400(world):
    backup_id = world.backup(world.instance(), location='file:///x')
    assert 'no restorable window' in fault(world.api.request(
        'POST', drill_url(backup_id), {'drill': {'restoreTime': 'latest'}}),
        400)
