"""Point-in-time recovery end to end, for MariaDB and PostgreSQL.

A system of its own archives every 2 seconds (archive_timeout,
binlog_archive_interval). The source instance gets a full backup, then a
row at t1 < t2 < t3 (seconds apart, each time read from the instance's
own clock). Shown:

* ``restorable_window`` in the instance's detail view covers t3;
* a restore to a time between t2 and t3 has rows 1 and 2, not 3, and
  reports the time it reached; a ``latest`` restore has all three;
* a time before the earliest or after the latest: 400 naming the window;
* an archive object deleted on purpose becomes a gap (with its reason and
  an instance fault) once a new full backup restarts the window after
  it; a restore into it is refused (400 naming the object), a restore to
  the end of the range before it and a ``latest`` one both work;
* a backup that ends after the time: 400;
* after the source's engine is killed, a ``latest`` restore has every row
  committed more than one archive interval before the kill.
"""

import datetime
import math
import os
import signal
import sqlite3
import time

import pytest
from troveclient import exceptions

from tests.e2e import system as e2e
from tests.e2e.test_backup_restore import (create_instance, delete_instances,
                                           execute, rows, wait_backup)
from tests.helpers.processes import wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e

INTERVAL = 2
GAP = 2.5


@pytest.fixture(scope='module')
def pitr_system():
    with e2e.temporary_system(
            'trove-e2e-pitr-',
            extra_options=['archive_timeout=%d' % INTERVAL,
                           'binlog_archive_interval=%d' % INTERVAL]) \
            as system:
        system.up()
        yield system


def iso(seconds):
    return datetime.datetime.fromtimestamp(
        seconds, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def epoch(text):
    return datetime.datetime.fromisoformat(
        text.replace('Z', '+00:00')).timestamp()


def instance_clock(datastore, address):
    clock = ('SELECT extract(epoch FROM clock_timestamp())::float8'
             if datastore == 'postgresql'
             else 'SELECT UNIX_TIMESTAMP(NOW(6))')
    return float(execute(datastore, address, clock)[0][0])


def insert_row(datastore, address, number):
    """Insert one row; the instance's clock right after its commit."""
    execute(datastore, address,
            "INSERT INTO kept VALUES (%d, 'row %d')" % (number, number))
    return instance_clock(datastore, address)


def window(trove, instance_id):
    return trove.instances.get(instance_id)._info['restorable_window']


def wait_window_covers(trove, instance_id, moment, timeout=90):
    def covered():
        view = window(trove, instance_id)
        return view['latest'] and epoch(view['latest']) >= moment and view
    return wait_until(covered, timeout=timeout, interval=1,
                      message=lambda: 'window %s does not reach %s' % (
                          window(trove, instance_id), iso(moment)))


def restore(trove, datastore, name, **point):
    return create_instance(trove, datastore, name, restorePoint=point)


def refused(trove, datastore, **point):
    with pytest.raises(exceptions.BadRequest) as error:
        restore(trove, datastore, 'pitr-refused', **point)
    return str(error.value)


def engine_pids(system, instance_id):
    """The engine's pid (every pid file of the instance but the agent's)."""
    run_dir = os.path.join(system.instance_dir(instance_id), 'run')
    pids = []
    for name in os.listdir(run_dir):
        if name.endswith('.pid') and name != 'guest.pid':
            pid = daemon.read_pid(os.path.join(run_dir, name))
            if pid and daemon.pid_alive(pid):
                pids.append(pid)
    assert pids, os.listdir(run_dir)
    return pids


def archive_rows(system, instance_id):
    connection = sqlite3.connect(os.path.join(system.state_dir,
                                              'trove.sqlite'))
    try:
        return connection.execute(
            'SELECT name, location, first_event, last_event, state FROM '
            'pitr_archives WHERE instance_id = ? ORDER BY seq',
            (instance_id,)).fetchall()
    finally:
        connection.close()


@pytest.mark.parametrize('datastore', ['mariadb', 'postgresql'])
def test_point_in_time_recovery(pitr_system, datastore):
    system = pitr_system
    trove = system.client('e2e-pitr-' + datastore)
    created = []
    try:
        source = create_instance(trove, datastore, 'pitr-src-' + datastore)
        created.append(source.id)
        address = e2e.wait_for_instance(trove, source.id,
                                        system=system).ip[0]
        execute(datastore, address,
                'CREATE TABLE kept (id INT PRIMARY KEY, note VARCHAR(64))')
        wait_backup(trove, trove.backups.create('base', source.id).id,
                    system=system)
        time.sleep(GAP)
        t1 = insert_row(datastore, address, 1)
        time.sleep(GAP)
        t2_sent = instance_clock(datastore, address)
        t2 = insert_row(datastore, address, 2)
        time.sleep(GAP)
        t3 = insert_row(datastore, address, 3)
        view = wait_window_covers(trove, source.id, t3)
        assert epoch(view['earliest']) < t1 and view['gaps'] == []
        # The backup list of the instance shows the window too.
        _response, listed = trove.client.get('/instances/%s/backups'
                                             % source.id)
        assert listed['restorable_window']['earliest'] == view['earliest']

        # Out of the window: 400 naming it.
        for moment in (epoch(view['earliest']) - 60,
                       epoch(view['latest']) + 3600):
            message = refused(trove, datastore, instanceRef=source.id,
                              restoreTime=iso(moment))
            assert 'restorable window' in message
            assert view['earliest'][:19] in message, message

        # Between t2 and t3, and latest: both at once.
        target = (t2 + t3) / 2
        middle = restore(trove, datastore, 'pitr-middle',
                         instanceRef=source.id, restoreTime=iso(target))
        created.append(middle.id)
        latest = restore(trove, datastore, 'pitr-latest',
                         instanceRef=source.id, restoreTime='latest')
        created.append(latest.id)
        middle = e2e.wait_for_instance(trove, middle.id, system=system)
        latest = e2e.wait_for_instance(trove, latest.id, system=system)
        assert rows(datastore, middle.ip[0]) == [1, 2]
        assert rows(datastore, latest.ip[0]) == [1, 2, 3]
        reached = middle._info['restored_to']
        assert reached['restoreTime'] == iso(target)
        # Row 2's commit: after t2_sent, read before it was sent (t2,
        # read after it on a new connection, may be seconds later on a
        # loaded machine); binary log times have whole seconds.
        assert math.floor(t2_sent) <= epoch(reached['reached']) <= target, \
            reached
        assert latest._info['restored_to']['restoreTime'] == 'latest'
        # Row 3's commit (binary log times have whole seconds), well
        # after t2 (t3 itself may be read late on a loaded machine).
        assert epoch(latest._info['restored_to']['reached']) > t2

        # The archive object holding row 2 deleted: a gap. It is the last
        # with a commit before t2 (t2 is read after row 2's commit, on a
        # new connection: on a loaded machine more than a second later).
        holding = [r for r in archive_rows(system, source.id)
                   if r[2] is not None and r[2] <= t2 + 0.001 and
                   r[3] >= t1]
        assert holding, archive_rows(system, source.id)
        name, location = holding[-1][0], holding[-1][1]
        os.unlink(location[len('file://'):])

        # At once: the fault, and the window ends before the lost file;
        # a restore to t2 is refused, naming the lost object.
        wait_until(lambda: name in (trove.instances.get(source.id)._info.get(
            'fault') or {}).get('message', ''), timeout=60, interval=1,
            message='no fault naming %s' % name)
        assert epoch(window(trove, source.id)['latest']) < t2
        message = refused(trove, datastore, instanceRef=source.id,
                          restoreTime=iso(t2))
        assert 'restorable window' in message and name in message

        # A new full backup restarts the window: the lost file is a gap.
        wait_backup(trove, trove.backups.create('after-gap', source.id).id,
                    system=system)
        time.sleep(GAP)
        t4 = insert_row(datastore, address, 4)
        view = wait_window_covers(trove, source.id, t4)
        assert len(view['gaps']) == 1, view
        gap = view['gaps'][0]
        assert name in gap['reason']
        assert epoch(gap['from']) <= t2 <= epoch(gap['to'])
        message = refused(trove, datastore, instanceRef=source.id,
                          restoreTime=iso(t2))
        assert 'restorable window' in message and name in message

        # Either side of the gap: its start, and latest.
        before = restore(trove, datastore, 'pitr-before-gap',
                         instanceRef=source.id, restoreTime=gap['from'])
        created.append(before.id)
        after = restore(trove, datastore, 'pitr-after-gap',
                        instanceRef=source.id, restoreTime='latest')
        created.append(after.id)
        before = e2e.wait_for_instance(trove, before.id, system=system)
        after = e2e.wait_for_instance(trove, after.id, system=system)
        assert 2 not in rows(datastore, before.ip[0])
        assert rows(datastore, after.ip[0]) == [1, 2, 3, 4]

        # A backup that ends after the time asked for: 400.
        first_backup = [b for b in trove.backups.list()
                        if b.name == 'base' and b.instance_id == source.id]
        second = [b for b in trove.backups.list()
                  if b.name == 'after-gap' and b.instance_id == source.id]
        message = refused(trove, datastore, backupRef=second[0].id,
                          restoreTime=iso(t1))
        assert 'completed after that time' in message
        message = refused(trove, datastore, backupRef=first_backup[0].id,
                          restoreTime=iso(t4))
        assert 'cannot be rolled forward' in message

        # The source's engine killed: a latest restore loses at most what
        # was committed in the last archive interval before the kill.
        t5 = insert_row(datastore, address, 5)
        time.sleep(INTERVAL + 1)
        t6 = insert_row(datastore, address, 6)
        killed_at = time.time()
        for pid in engine_pids(system, source.id):
            os.kill(pid, signal.SIGKILL)
        wait_window_covers(trove, source.id, t5)
        crashed = restore(trove, datastore, 'pitr-after-kill',
                          instanceRef=source.id, restoreTime='latest')
        created.append(crashed.id)
        crashed = e2e.wait_for_instance(trove, crashed.id, system=system)
        kept = rows(datastore, crashed.ip[0])
        committed = {1: t1, 2: t2, 3: t3, 4: t4, 5: t5, 6: t6}
        must_have = [n for n, moment in committed.items()
                     if moment < killed_at - INTERVAL - 1]
        assert set(must_have) <= set(kept), (kept, committed, killed_at)
        assert 5 in kept
    finally:
        delete_instances(trove, created)


@pytest.mark.parametrize('datastore', ['mariadb', 'postgresql'])
def test_incremental_backup_as_the_base(pitr_system, datastore):
    """A restore to a time after an incremental backup starts from it
    (its chain applied) and replays only the log after it."""
    system = pitr_system
    trove = system.client('e2e-pitr-inc-' + datastore)
    created = []
    try:
        source = create_instance(trove, datastore, 'pitr-inc-' + datastore)
        created.append(source.id)
        address = e2e.wait_for_instance(trove, source.id,
                                        system=system).ip[0]
        execute(datastore, address,
                'CREATE TABLE kept (id INT PRIMARY KEY, note VARCHAR(64))')
        full = wait_backup(trove, trove.backups.create('full',
                                                       source.id).id,
                           system=system)
        time.sleep(GAP)
        insert_row(datastore, address, 1)
        incremental = wait_backup(trove, trove.backups.create(
            'incremental', source.id, incremental=True).id, system=system)
        assert incremental.parent_id == full.id
        time.sleep(GAP)
        t2 = insert_row(datastore, address, 2)
        time.sleep(GAP)
        t3 = insert_row(datastore, address, 3)
        view = wait_window_covers(trove, source.id, t3)
        assert view['gaps'] == [], view

        target = (t2 + t3) / 2
        copy = restore(trove, datastore, 'pitr-inc-copy',
                       instanceRef=source.id, restoreTime=iso(target))
        created.append(copy.id)
        copy = e2e.wait_for_instance(trove, copy.id, system=system)
        assert rows(datastore, copy.ip[0]) == [1, 2]
        restored_to = copy._info['restored_to']
        assert restored_to['backupRef'] == incremental.id, restored_to
        assert epoch(restored_to['reached']) <= target, restored_to
    finally:
        delete_instances(trove, created)


def test_a_drill_of_a_point_in_time(pitr_system):
    """A restore drill of a point (MariaDB): the backup rolled forward to
    a time between two rows in a sandbox, the engine checked, the rows
    found there reported, the RTO recorded, the sandbox deleted; a time
    the window does not cover is 400."""
    system, datastore = pitr_system, 'mariadb'
    trove = system.client('e2e-pitr-drill')
    created = []
    try:
        source = create_instance(trove, datastore, 'pitr-drilled')
        created.append(source.id)
        address = e2e.wait_for_instance(trove, source.id,
                                        system=system).ip[0]
        execute(datastore, address,
                'CREATE TABLE kept (id INT PRIMARY KEY, note VARCHAR(64))')
        backup = wait_backup(trove, trove.backups.create(
            'drill-base', source.id).id, system=system)
        time.sleep(GAP)
        t1 = insert_row(datastore, address, 1)
        time.sleep(GAP)
        t2 = insert_row(datastore, address, 2)
        view = wait_window_covers(trove, source.id, t2)
        drill_url = '/backups/%s/drill' % backup.id

        with pytest.raises(exceptions.BadRequest) as error:
            trove.client.post(drill_url, body={'drill': {
                'restoreTime': iso(epoch(view['latest']) + 3600)}})
        assert 'restorable window' in str(error.value)

        target = iso((t1 + t2) / 2)
        started = time.monotonic()
        _response, answer = trove.client.post(drill_url, body={'drill': {
            'restoreTime': target, 'query': 'SELECT id FROM appdb.kept'}})
        assert answer['drill']['restoreTime'] == target

        def ended():
            _response, shown = trove.client.get('/backups/%s' % backup.id)
            return shown['backup']['last_drill_result'] and shown['backup']
        shown = wait_until(ended, timeout=240, interval=2,
                           message=lambda: 'the drill never ended\n%s'
                           % system.logs_tail())
        result = shown['last_drill_result']
        assert result.startswith('passed'), result
        assert 'rolled forward to %s' % target in result
        # Row 1 only: the point is before row 2's commit.
        assert '1 table with 1 row (exact counts) found at that point' in \
            result, result
        assert 'the check query returned 1 rows' in result
        assert 0 < shown['last_drill_rto_s'] < time.monotonic() - started
        wait_until(lambda: not [i for i in trove.instances.list()
                                if i.name.startswith('drill-')],
                   timeout=120, interval=2,
                   message='the sandbox was not deleted')
    finally:
        delete_instances(trove, created)
