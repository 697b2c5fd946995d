"""Backup schedules: the API, the runner (one turn at a time, as the
taskmanager's periodic check calls it) and retention of whole chains.

The API runs in this process on a seeded SQLite control database; the
backups a schedule asks for are cast to a recording taskmanager (see
conftest), and their outcome is written as the conductor would.
"""

import datetime

import pytest
import sqlalchemy as sa

from tests.functional.backup.conftest import BASE, OTHER_PROJECT, fault, ok
from trove.backup import schedule_runner
from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import events

pytestmark = pytest.mark.functional


def path(instance_id, schedule_id=''):
    return '%s/instances/%s/backup_schedules%s' % (
        BASE, instance_id, '/' + schedule_id if schedule_id else '')


def create(world, instance_id, **body):
    body.setdefault('name', 'nightly')
    body.setdefault('retention', {'count': 3})
    if 'cron' not in body:
        body.setdefault('interval', 10)
    return world.api.request('POST', path(instance_id),
                             {'backup_schedule': body})


def make_due(world, schedule_id, seconds_ago=1):
    with db_api.writer(world.context) as session:
        session.execute(sa.update(db_models.BackupSchedule).where(
            db_models.BackupSchedule.id == schedule_id).values(
            next_run_at=db_models.utcnow() - datetime.timedelta(
                seconds=seconds_ago)))


def set_backup(world, backup_id, **values):
    with db_api.writer(world.context) as session:
        session.execute(sa.update(db_models.Backup).where(
            db_models.Backup.id == backup_id).values(**values))


def schedule_row(world, schedule_id):
    with db_api.reader(world.context) as session:
        return session.get(db_models.BackupSchedule, schedule_id)


def logged(world, instance_id):
    return [(row.kind, row.message) for row in events.list_page(
        world.context, instance_id, 100)]


# The API ---------------------------------------------------------------------
def test_create_list_show_delete(world):
    instance_id = world.instance()
    created = ok(create(world, instance_id, full_every=4,
                        retention={'count': 3, 'max_age_days': 7}))[
        'backup_schedule']
    assert (created['interval'], created['cron'], created['full_every'],
            created['retention'], created['runs']) == (
        10, None, 4, {'count': 3, 'max_age_days': 7}, 0)
    next_run = datetime.datetime.fromisoformat(created['next_run_at'])
    assert datetime.timedelta(seconds=5) < \
        next_run - db_models.utcnow() <= datetime.timedelta(seconds=11)
    by_cron = ok(create(world, instance_id, name='daily',
                        cron='30 3 * * *'))['backup_schedule']
    assert by_cron['next_run_at'].endswith('03:30:00')
    listed = ok(world.api.get(path(instance_id)))['backup_schedules']
    assert [s['id'] for s in listed] == [created['id'], by_cron['id']]
    assert ok(world.api.get(path(instance_id, created['id'])))[
        'backup_schedule'] == created
    ok(world.api.request('DELETE', path(instance_id, created['id'])), 202)
    fault(world.api.get(path(instance_id, created['id'])), 404)
    assert [s['id'] for s in ok(world.api.get(path(instance_id)))[
        'backup_schedules']] == [by_cron['id']]
    kinds = [kind for kind, _message in logged(world, instance_id)]
    assert kinds == [events.SCHEDULE] * 3


@pytest.mark.parametrize('body, words', [
    ({'cron': '0 3 * * *', 'interval': 60}, 'not both'),
    ({'cron': '61 3 * * * '}, 'Invalid cron'),
    ({'interval': 2}, 'at least 10 seconds'),
    ({'retention': {}}, 'needs a retention'),
    ({'full_every': 0}, 'full_every'),
    ({'retention': {'count': 0}}, 'count'),
    ({'every': 5}, 'every'),
])
def test_bad_schedules_are_400(world, body, words):
    instance_id = world.instance()
    assert words in fault(create(world, instance_id, **body), 400)
    assert ok(world.api.get(path(instance_id)))['backup_schedules'] == []


def test_another_projects_instance_is_404(world):
    theirs = world.instance(project=OTHER_PROJECT)
    fault(create(world, theirs), 404)
    fault(world.api.get(path(theirs)), 404)


# The runner ------------------------------------------------------------------
def test_due_runs_take_full_then_incremental_backups_once(world):
    instance_id = world.instance()
    schedule = ok(create(world, instance_id, full_every=2))[
        'backup_schedule']
    assert schedule_runner.run_due(world.context) == {}
    make_due(world, schedule['id'])
    ran = schedule_runner.run_due(world.context)
    full_id = ran[schedule['id']]
    # A second runner at the same moment finds nothing due.
    assert schedule_runner.run_due(world.context) == {}
    [cast] = world.taskmanager.wait_for('create_backup')
    assert cast['backup_id'] == full_id
    assert cast['backup_info']['backup_type'] == 'full'
    assert world.row(full_id).schedule_id == schedule['id']
    set_backup(world, full_id, state=states.BackupState.COMPLETED,
               location='file:///full')

    make_due(world, schedule['id'])
    incremental_id = schedule_runner.run_due(world.context)[schedule['id']]
    assert world.row(incremental_id).parent_id == full_id
    row = schedule_row(world, schedule['id'])
    assert (row.runs, row.last_backup_id, row.last_result) == (
        2, incremental_id, 'running')
    assert row.next_run_at > db_models.utcnow()
    set_backup(world, incremental_id, state=states.BackupState.COMPLETED,
               location='file:///incremental')
    schedule_runner.run_due(world.context)
    assert schedule_row(world, schedule['id']).last_result == 'completed'


def test_a_run_that_cannot_start_is_an_event_and_a_fault(world):
    instance_id = world.instance()
    schedule = ok(create(world, instance_id))['backup_schedule']
    world.backup(instance_id, state=states.BackupState.BUILDING)
    make_due(world, schedule['id'])
    assert schedule_runner.run_due(world.context) == {
        schedule['id']: 'failed'}
    shown = ok(world.api.get(BASE + '/instances/' + instance_id))['instance']
    assert 'could not start' in shown['fault']['message']
    kind, message = logged(world, instance_id)[1]
    assert kind == events.SCHEDULE and 'could not start' in message
    assert schedule_row(world, schedule['id']).last_result.startswith(
        'failed: ')


def test_a_run_while_its_previous_backup_runs_is_skipped(world):
    instance_id = world.instance()
    schedule = ok(create(world, instance_id))['backup_schedule']
    make_due(world, schedule['id'])
    backup_id = schedule_runner.run_due(world.context)[schedule['id']]
    make_due(world, schedule['id'])
    assert schedule_runner.run_due(world.context) == {
        schedule['id']: 'skipped'}
    kind, message = logged(world, instance_id)[0]
    assert kind == events.SCHEDULE and backup_id + ' still runs' in message
    shown = ok(world.api.get(BASE + '/instances/' + instance_id))['instance']
    assert 'fault' not in shown


def test_a_scheduled_backup_that_fails_later_is_a_fault(world):
    instance_id = world.instance()
    schedule = ok(create(world, instance_id))['backup_schedule']
    make_due(world, schedule['id'])
    backup_id = schedule_runner.run_due(world.context)[schedule['id']]
    set_backup(world, backup_id, state=states.BackupState.FAILED,
               description='Backup failed: the store is not writable')
    schedule_runner.run_due(world.context)
    shown = ok(world.api.get(BASE + '/instances/' + instance_id))['instance']
    assert 'the store is not writable' in shown['fault']['message']


def test_a_missed_run_is_an_event_and_a_fault_and_runs_now(world):
    instance_id = world.instance()
    schedule = ok(create(world, instance_id))['backup_schedule']
    make_due(world, schedule['id'], seconds_ago=600)
    backup_id = schedule_runner.run_due(world.context)[schedule['id']]
    assert world.row(backup_id) is not None
    assert any('missed its run' in message
               for _kind, message in logged(world, instance_id))


# Retention -------------------------------------------------------------------
def chain(world, instance_id, schedule_id, days_ago, length=2,
          state=states.BackupState.COMPLETED):
    """A full backup and ``length - 1`` incrementals on it, taken by the
    schedule ``days_ago`` days ago; their ids, full first."""
    ids = []
    when = db_models.utcnow() - datetime.timedelta(days=days_ago)
    for number in range(length):
        backup_id = world.backup(instance_id, state=state,
                                 parent_id=ids[-1] if ids else None,
                                 location='file:///%s-%d' % (days_ago,
                                                             number))
        set_backup(world, backup_id, schedule_id=schedule_id,
                   created=when + datetime.timedelta(minutes=number),
                   updated=when + datetime.timedelta(minutes=number))
        ids.append(backup_id)
    return ids


def live_ids(world):
    with db_api.reader(world.context) as session:
        return set(session.scalars(sa.select(db_models.Backup.id).where(
            db_models.Backup.deleted == sa.false())))


def test_retention_by_count_deletes_whole_older_chains(world):
    instance_id = world.instance()
    schedule = ok(create(world, instance_id))['backup_schedule']
    chains = [chain(world, instance_id, schedule['id'], days)
              for days in (5, 4, 3, 2, 1)]
    running = chain(world, instance_id, schedule['id'], 0, length=1,
                    state=states.BackupState.BUILDING)
    row = schedule_row(world, schedule['id'])
    deleted = schedule_runner.apply_retention(world.context, row)
    assert deleted == [chains[1][0], chains[0][0]]
    kept = [b for c in chains[2:] for b in c] + running
    assert live_ids(world) == set(kept)
    casts = world.taskmanager.wait_for('delete_backup', 4)
    # Children before parents.
    assert [c['backup_id'] for c in casts] == [
        chains[1][1], chains[1][0], chains[0][1], chains[0][0]]
    assert sum('Retention of backup schedule' in message
               for _kind, message in logged(world, instance_id)) == 2


def test_retention_by_age_keeps_the_newest_chain_and_foreign_children(
        world):
    instance_id = world.instance()
    schedule = ok(create(world, instance_id,
                         retention={'max_age_days': 7}))['backup_schedule']
    oldest = chain(world, instance_id, schedule['id'], 30)
    with_child = chain(world, instance_id, schedule['id'], 20)
    newest = chain(world, instance_id, schedule['id'], 10)
    # A backup the user took on the schedule's chain keeps that chain.
    world.backup(instance_id, parent_id=with_child[1],
                 location='file:///mine')
    row = schedule_row(world, schedule['id'])
    assert schedule_runner.apply_retention(world.context, row) == [oldest[0]]
    live = live_ids(world)
    assert not live & set(oldest)
    assert set(with_child + newest) <= live


# Restore drills (the API and a drill that cannot start) ----------------------
def test_drill_requests_and_a_drill_without_a_sandbox_fails(world):
    from trove.backup import drills
    instance_id = world.instance()
    running = world.backup(instance_id, state=states.BackupState.BUILDING)
    assert 'COMPLETED' in fault(world.api.request(
        'POST', '%s/backups/%s/drill' % (BASE, running), {}), 422)
    set_backup(world, running, state=states.BackupState.FAILED)
    backup_id = world.backup(instance_id, location='file:///x')
    drill = ok(world.api.request('POST', '%s/backups/%s/drill'
                                 % (BASE, backup_id), {}), 202)['drill']
    assert (drill['backup_id'], drill['state']) == (backup_id, 'PENDING')
    assert 'already running' in fault(world.api.request(
        'POST', '%s/backups/%s/drill' % (BASE, backup_id), {}), 422)
    shown = ok(world.api.get('%s/backups/%s' % (BASE, backup_id)))['backup']
    assert (shown['last_verified_at'], shown['last_drill_rto_s'],
            shown['last_drill_result']) == (None, None, None)

    # The source instance is gone and no drill flavor is set: the sandbox
    # cannot be made, and the drill fails saying so.
    with db_api.writer(world.context) as session:
        session.execute(sa.update(db_models.Instance).where(
            db_models.Instance.id == instance_id).values(deleted=True))
    assert drills.run(world.context) == {drill['id']: 'FAILED'}
    shown = ok(world.api.get('%s/backups/%s' % (BASE, backup_id)))['backup']
    assert shown['last_drill_result'].startswith(
        'failed: the sandbox could not be made: no flavor')
    assert shown['last_verified_at'] is None
    kinds = [(kind, message) for kind, message in logged(world, instance_id)]
    assert [kind for kind, _message in kinds] == [
        events.FAULT, events.DRILL, events.DRILL]
    assert 'no flavor' in kinds[0][1] and 'failed' in kinds[1][1]
    assert 'requested' in kinds[2][1]
