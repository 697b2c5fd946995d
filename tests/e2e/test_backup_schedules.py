"""Backup schedules and the event log end to end, on MariaDB.

One instance: it is created and restarted; a schedule takes a full
backup every 10 seconds with a retention of 3 chains, and after more
than a minute exactly the 3 newest completed chains are left. Then the
backup store is made unwritable (its directory replaced by a file): the
next run fails, which shows as an event and as the instance's fault. The
event log holds the create, the restart, the schedule's backups and the
failed run, in order.

A schedule of restore drills every 10 seconds then drills the latest
backup of the first instance: at least one drill passes, with its RTO on
the backup, and no sandbox is left once the schedule is deleted.

A second instance holds about 150 MB: its backup shows its percent and
ETA growing and records the row counts of its tables; an instance
restored from it shows the restore's bytes and percent growing while it
builds; a drill with a check query restores it, compares the counts,
runs the query, times the restore and deletes its sandbox.
"""

import os
import time

import pytest

from tests.e2e import sql_logins
from tests.e2e import system as e2e
from tests.helpers.processes import wait_until

pytestmark = pytest.mark.e2e

INTERVAL = 10
KEEP = 3


def request(trove, method, url, body=None):
    kwargs = {'body': body} if body is not None else {}
    _response, answer = getattr(trove.client, method)(url, **kwargs)
    return answer


def events(trove, instance_id):
    """The whole event log, oldest first."""
    listed, url = [], '/instances/%s/events?limit=50' % instance_id
    while url:
        page = request(trove, 'get', url)
        listed += page['events']
        links = page.get('links') or []
        url = None
        if links:
            url = '/instances/%s/events?limit=50&marker=%s' % (
                instance_id, links[0]['href'].split('marker=')[1])
    return listed[::-1]


def position(logged, predicate, after=-1):
    for index, event in enumerate(logged):
        if index > after and predicate(event):
            return index
    raise AssertionError('no such event after #%d in %s' % (
        after, [(e['kind'], e['message']) for e in logged]))


def test_schedule_keeps_the_newest_chains_and_failures_are_logged(
        trove, trove_system):
    instance = trove.instances.create(
        'scheduled', flavor_id='1', volume={'size': 1},
        datastore='mariadb', databases=[{'name': 'appdb'}])
    store = os.path.join(trove_system.state_dir, 'backups')
    try:
        e2e.wait_for_instance(trove, instance.id, system=trove_system)
        trove.instances.restart(instance.id)
        e2e.wait_for_instance(trove, instance.id, system=trove_system)
        _check_dry_runs(trove, instance.id)
        _check_retention(trove, trove_system, instance.id)
        _check_failed_run(trove, trove_system, instance.id, store)
        _check_event_log(trove, instance.id)
        _check_scheduled_drill(trove, trove_system, instance.id)
    finally:
        if os.path.isfile(store):
            os.remove(store)
            os.rename(store + '.saved', store)
        trove.instances.delete(instance.id)
        e2e.wait_for_deleted(trove, instance.id)


def _check_dry_runs(trove, instance_id):
    """A dry-run resize names the restart and changes nothing; a dry-run
    restart expects the downtime the real restart just took."""
    action = '/instances/%s/action' % instance_id
    plan = request(trove, 'post', action, {'resize': {
        'flavorRef': '2', 'dry_run': True}})['plan']
    assert plan['would_proceed'] is True, plan
    assert plan['changes']['flavor']['to']['id'] == '2'
    assert [r['id'] for r in plan['restarts']] == [instance_id]
    assert 'database engine' in plan['restarts'][0]['restarts']
    restart = request(trove, 'post', action, {'restart': {
        'dry_run': True}})['plan']
    assert 0 < restart['expected_downtime_s'] < 120, restart
    instance = trove.instances.get(instance_id)
    assert (instance.status, instance.flavor['id']) == ('ACTIVE', '1')
    kinds = [e['kind'] for e in events(trove, instance_id)]
    assert kinds.count('task_start') == 2     # the create and the restart


def _check_retention(trove, trove_system, instance_id):
    schedule = request(trove, 'post', '/instances/%s/backup_schedules'
                       % instance_id, {'backup_schedule': {
                           'name': 'every-10s', 'interval': INTERVAL,
                           'full_every': 1, 'retention': {'count': KEEP}}})[
        'backup_schedule']
    seen = {}       # every completed backup ever listed: id -> created
    started = time.monotonic()

    def settled():
        backups = trove.backups.list(instance_id=instance_id)
        completed = {b.id: b.created for b in backups
                     if b.status == 'COMPLETED'}
        seen.update(completed)
        return (time.monotonic() - started > 65 and len(seen) > KEEP + 1
                and len(completed) == KEEP and completed)
    kept = wait_until(settled, timeout=240, interval=1,
                      message='the schedule never settled at %d chains '
                              '(seen %s)\n%s' % (KEEP, seen,
                                                 trove_system.logs_tail()))
    newest = sorted(seen, key=lambda i: (seen[i], i))[-KEEP:]
    assert set(kept) == set(newest)
    shown = request(trove, 'get', '/instances/%s/backup_schedules/%s' % (
        instance_id, schedule['id']))['backup_schedule']
    # Every 10 s for more than a minute (runs start within one check
    # interval, 5 s, of their time).
    assert shown['runs'] >= 6, shown
    # Whole chains: every one kept is a full backup.
    assert all(trove.backups.get(i).parent_id is None for i in kept)
    instance = trove.instances.get(instance_id)
    assert getattr(instance, 'fault', None) is None, instance.fault
    return schedule


def _check_failed_run(trove, trove_system, instance_id, store):
    # Let a backup still running end before the store goes away.
    wait_until(lambda: all(b.status != 'NEW' and b.status != 'BUILDING'
                           for b in trove.backups.list(
                               instance_id=instance_id)),
               timeout=60, interval=1, message='a backup never ended')
    os.rename(store, store + '.saved')
    with open(store, 'w') as blocker:
        blocker.write('not a directory')

    def faulted():
        fault = getattr(trove.instances.get(instance_id), 'fault', None)
        return fault and 'could not start' in fault['message'] and fault
    fault = wait_until(faulted, timeout=60, interval=1,
                       message='no fault from the failed run\n%s'
                               % trove_system.logs_tail())
    assert 'cannot be created' in fault['message']
    os.remove(store)
    os.rename(store + '.saved', store)
    for schedule in request(trove, 'get', '/instances/%s/backup_schedules'
                            % instance_id)['backup_schedules']:
        request(trove, 'delete', '/instances/%s/backup_schedules/%s'
                % (instance_id, schedule['id']))


def _check_event_log(trove, instance_id):
    logged = events(trove, instance_id)
    built = position(logged, lambda e: e['kind'] == 'task_end' and
                     'build of the instance' in e['message'])
    assert position(logged, lambda e: e['kind'] == 'task_start' and
                    'build of the instance' in e['message']) < built
    restarted = position(logged, lambda e: e['kind'] == 'task_end' and
                         'restart' in e['message'], built)
    scheduled = position(logged, lambda e: e['kind'] == 'backup_schedule'
                         and 'created' in e['message'], restarted)
    backed_up = position(logged, lambda e: e['kind'] == 'backup' and
                         'completed' in e['message'], scheduled)
    pruned = position(logged, lambda e: 'Retention' in e['message'],
                      backed_up)
    failed = position(logged, lambda e: e['kind'] == 'backup_schedule' and
                      'could not start' in e['message'], pruned)
    assert logged[failed + 1]['kind'] == 'fault'
    assert logged[failed]['actor'] == 'system'
    assert logged[0]['actor'].startswith('user ')
    times = [e['created'] for e in logged]
    assert times == sorted(times)


def _drill_events(trove, instance_id):
    """(requested, ended) events of the scheduled drills."""
    logged = [e['message'] for e in events(trove, instance_id)
              if e['kind'] == 'restore_drill']
    return ([m for m in logged if 'requested by backup schedule' in m],
            [m for m in logged if m.startswith('Scheduled restore drill')])


def _check_scheduled_drill(trove, trove_system, instance_id):
    """A schedule of drills every 10 s drills the instance's latest
    backup: restored into a sandbox, checked, timed and deleted."""
    url = '/instances/%s/backup_schedules' % instance_id
    schedule = request(trove, 'post', url, {'backup_schedule': {
        'name': 'drills', 'action': 'drill', 'interval': INTERVAL,
        'drill': {'query': 'SELECT 1'}}})['backup_schedule']
    assert schedule['action'] == 'drill' and schedule['retention'] == {}
    latest = max((b for b in trove.backups.list(instance_id=instance_id)
                  if b.status == 'COMPLETED'),
                 key=lambda b: (b.updated, b.created))

    def passed():
        return [m for m in _drill_events(trove, instance_id)[1]
                if ' passed: ' in m]
    ended = wait_until(passed, timeout=240, interval=1,
                       message=lambda: 'no scheduled drill passed: %s\n%s' % (
                           _drill_events(trove, instance_id),
                           trove_system.logs_tail()))
    request(trove, 'delete', '%s/%s' % (url, schedule['id']))
    assert 'of backup %s passed' % latest.id in ended[0], ended
    assert 'RTO' in ended[0]
    _response, shown = trove.client.get('/backups/%s' % latest.id)
    shown = shown['backup']
    assert shown['last_drill_result'].startswith('passed'), shown
    assert shown['last_drill_rto_s'] > 0 and shown['last_verified_at']

    # A run that started before the schedule was deleted ends too; then
    # no sandbox is left.
    def settled():
        requested, ended = _drill_events(trove, instance_id)
        return len(requested) == len(ended) and not [
            i for i in trove.instances.list() if i.name.startswith('drill-')]
    wait_until(settled, timeout=180, interval=2,
               message=lambda: 'a sandbox was left: %s' % (
                   _drill_events(trove, instance_id),))


USER, PASSWORD = 'driller', 'Drill-Secret-42'
# Rows of hex text: about 150 MB that gzip does not shrink away, so the
# backup takes some seconds and reports its progress several times.
BIG_ROWS = 600000


def _fill(address):
    with sql_logins.login('mariadb', address, USER, PASSWORD,
                          'appdb') as connection:
        with connection.cursor() as cursor:
            cursor.execute('CREATE TABLE big (id INT AUTO_INCREMENT '
                           'PRIMARY KEY, pad VARCHAR(300)) ENGINE=InnoDB')
            cursor.execute('CREATE TABLE small (id INT PRIMARY KEY)')
            cursor.execute('INSERT INTO small VALUES (1), (2), (3)')
            cursor.execute('INSERT INTO big (pad) VALUES ' + ', '.join(
                ["('x')"] * (BIG_ROWS // 1024)))
            for _doubling in range(10):
                cursor.execute('INSERT INTO big (pad) SELECT CONCAT('
                               'SHA2(RAND(), 512), SHA2(RAND(), 512)) '
                               'FROM big')


def _watch_progress(trove, backup_id):
    """The progress of the running backup, each change as it grows."""
    seen = []

    def ended():
        _response, shown = trove.client.get('/backups/%s' % backup_id)
        shown = shown['backup']
        progress = shown.get('progress') or {}
        if shown['status'] == 'BUILDING' and progress and (
                not seen or seen[-1] != progress):
            seen.append(progress)
        return shown['status'] in ('COMPLETED', 'FAILED') and shown
    shown = wait_until(ended, timeout=600, interval=0.3,
                       message='the backup never ended')
    return shown, seen


def _check_restore_progress(trove, trove_system, backup_id):
    """An instance restored from the backup shows, while it builds, the
    restore's bytes written and percent growing (the guest's reports)."""
    restored = trove.instances.create(
        'restored', flavor_id='1', volume={'size': 2}, datastore='mariadb',
        restorePoint={'backupRef': backup_id})
    readings = []
    try:
        def built():
            _response, shown = trove.client.get('/instances/%s'
                                                % restored.id)
            shown = shown['instance']
            restore = (shown.get('progress') or {}).get('restore')
            if shown['status'] == 'BUILD' and restore and (
                    not readings or readings[-1] != restore):
                readings.append(restore)
            assert shown['status'] != 'ERROR', shown
            return shown['status'] == 'ACTIVE'
        wait_until(built, timeout=300, interval=0.2,
                   message=lambda: 'the restore never ended\n%s'
                   % trove_system.logs_tail())
    finally:
        trove.instances.delete(restored.id)
        e2e.wait_for_deleted(trove, restored.id)
    assert all(r['backup_id'] == backup_id for r in readings), readings
    written = [r['bytes_written'] for r in readings]
    percents = [r['percent'] for r in readings]
    assert len(readings) >= 2 and written == sorted(set(written)), readings
    assert percents == sorted(percents) and percents[0] < percents[-1], \
        readings
    assert readings[0]['percent'] < 100 and readings[0]['total_bytes'] > \
        readings[0]['bytes_written'], readings


def test_a_drill_restores_checks_times_and_deletes_its_sandbox(
        trove, trove_system):
    instance = trove.instances.create(
        'drilled', flavor_id='1', volume={'size': 2}, datastore='mariadb',
        databases=[{'name': 'appdb'}, {'name': 'otherdb'}],
        users=[{'name': USER, 'password': PASSWORD,
                'databases': [{'name': 'appdb'}]}])
    try:
        e2e.wait_for_instance(trove, instance.id, system=trove_system)
        _fill(trove.instances.get(instance.id).ip[0])
        backup = trove.backups.create('drilled-full', instance.id)
        shown, seen = _watch_progress(trove, backup.id)
        assert shown['status'] == 'COMPLETED', shown
        # The running backup showed its percent and ETA growing; the
        # completed one keeps its final figures.
        percents = [p['percent'] for p in seen if 'percent' in p]
        assert len(percents) >= 2 and percents == sorted(percents) and \
            percents[-1] > percents[0], seen
        assert all('eta_s' in p and p['total_bytes'] > 100e6
                   for p in seen if 'percent' in p), seen
        written = [p['bytes_written'] for p in seen]
        assert written == sorted(written), seen
        assert shown['progress']['percent'] == 100
        assert shown['row_counts'] == {
            'method': 'exact', 'tables': 2, 'changed_during_backup': [],
            'truncated': False}, shown
        _check_restore_progress(trove, trove_system, backup.id)
        e2e.wait_for_instance(trove, instance.id, system=trove_system)
        started = time.monotonic()
        drill = request(trove, 'post', '/backups/%s/drill' % backup.id, {
            'drill': {'query': 'SELECT id FROM small WHERE id > 1',
                      'database': 'appdb'}})['drill']
        assert drill['state'] == 'PENDING'

        def verified():
            _response, shown = trove.client.get('/backups/%s' % backup.id)
            shown = shown['backup']
            return shown['last_drill_result'] and shown
        shown = wait_until(verified, timeout=600, interval=2,
                           message='the drill never ended\n%s'
                                   % trove_system.logs_tail())
        elapsed = time.monotonic() - started
        assert shown['last_drill_result'].startswith('passed'), shown
        assert 'the exact row counts of 2 tables match' in \
            shown['last_drill_result']
        assert 'the check query returned 2 rows' in \
            shown['last_drill_result']
        assert 0 < shown['last_drill_rto_s'] < elapsed
        assert shown['last_verified_at']
        # The sandbox goes away.
        wait_until(lambda: not [i for i in trove.instances.list()
                                if i.name.startswith('drill-')],
                   timeout=120, interval=2,
                   message='the sandbox was not deleted')
        logged = events(trove, instance.id)
        quarters = [e['message'] for e in logged if e['kind'] == 'progress']
        assert 1 <= len(quarters) <= 3, quarters
        requested = position(logged, lambda e: e['kind'] == 'restore_drill'
                             and 'requested' in e['message'])
        passed = position(logged, lambda e: e['kind'] == 'restore_drill'
                          and 'passed' in e['message'], requested)
        assert 'RTO' in logged[passed]['message']
        trove.backups.delete(backup.id)
    finally:
        trove.instances.delete(instance.id)
        e2e.wait_for_deleted(trove, instance.id)
