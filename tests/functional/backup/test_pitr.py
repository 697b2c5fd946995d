"""Point-in-time recovery on a real control database: the restorable
window of ``GET /instances/{id}/backups`` and the base a restore starts
from, computed from backup rows and the archive index the conductor
writes; the archive's retention with the backups that need it.

Archive times are epoch seconds of days ago (within a retention of 7
days unless a test says otherwise); backups are rows with those times.
"""

import datetime
import io
import os
import time

import pytest

from tests.functional.backup.conftest import BASE, ok
from trove.conductor import manager as conductor_manager
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.instance import pitr
from trove.records import events, pitr_index
from trove.storage import local
from trove.taskmanager import pitr_retention
from trove.taskmanager.flows import backup as backup_flows

pytestmark = pytest.mark.functional

DAY = 86400
# Archive times of a test: T0 + seconds, two days ago.
T0 = int(time.time()) - 2 * DAY


def moment(seconds):
    return datetime.datetime.fromtimestamp(
        seconds, datetime.timezone.utc).replace(tzinfo=None)


def backup_at(world, instance_id, started, completed, parent_id=None,
              state='COMPLETED'):
    backup_id = world.backup(instance_id, parent_id=parent_id, state=state,
                             location='file:///b/%s' % started,
                             checksum='c' * 32)
    with db_api.writer(world.context) as session:
        row = session.get(db_models.Backup, backup_id)
        row.created, row.updated = moment(started), moment(completed)
    return backup_id


def shipped(world, name, content=b'log'):
    """An archive object in the local storage, as a guest ships it."""
    return local.LocalStorage(world.backup_dir).save(
        CONF.pitr_container, name + '.gz', io.BytesIO(content),
        lambda: {})


def report(world, instance_id, *entries):
    """What the guest casts: the conductor writes the index."""
    conductor_manager.Manager().pitr_archived(
        world.context, instance_id, list(entries), sent=time.time())


def binlog(world, instance_id, seq, opened, closed, state='archived',
           reason=None, store=True):
    name = 'mysql-bin.%06d' % seq
    entry = {'name': name, 'kind': 'binlog', 'seq': seq, 'state': state,
             'opened_at': opened, 'closed_at': closed,
             'first_event': opened + 1, 'last_event': closed - 1}
    if state == 'archived':
        if store:
            saved = shipped(world, '%s.%s' % (instance_id, name))
            entry.update(location=saved.location, checksum=saved.checksum)
        else:
            entry.update(location='file:///nowhere/%s' % name)
    if reason:
        entry['reason'] = reason
    return entry


def window(world, instance_id):
    return ok(world.api.get(BASE + '/instances/%s/backups'
                            % instance_id))['restorable_window']


def at(seconds):
    return pitr.iso(seconds)


def run_of(world, instance_id, *spans, start_seq=1):
    """Archived files closing at T0 + each of ``spans`` in a row."""
    entries, opened = [], T0 + spans[0][0]
    for seq, (begin, end) in enumerate(spans, start=start_seq):
        entries.append(binlog(world, instance_id, seq, T0 + begin, T0 + end))
    report(world, instance_id, *entries)
    return opened


# Incremental backups as bases ------------------------------------------------

def test_a_restore_starts_from_the_latest_backup_before_the_time(world):
    instance_id = world.instance()
    run_of(world, instance_id, (0, 100), (100, 200), (200, 300), (300, 400))
    full = backup_at(world, instance_id, T0 + 40, T0 + 50)
    incremental = backup_at(world, instance_id, T0 + 240, T0 + 250,
                            parent_id=full)
    second = backup_at(world, instance_id, T0 + 320, T0 + 330,
                       parent_id=incremental)
    view = window(world, instance_id)
    assert (view['earliest'], view['latest'], view['gaps']) == (
        at(T0 + 50), at(T0 + 400), [])

    def base_of(seconds, **point):
        point.setdefault('instanceRef', instance_id)
        return pitr.resolve(world.context, dict(
            point, restoreTime=at(seconds))).backup.id

    assert base_of(T0 + 200) == full
    assert base_of(T0 + 260) == incremental
    assert base_of(T0 + 399) == second
    # Named explicitly: any backup completed before the time, incremental
    # ones too.
    assert base_of(T0 + 399, backupRef=incremental) == incremental
    latest = pitr.resolve(world.context, {'instanceRef': instance_id,
                                          'restoreTime': 'latest'})
    assert latest.backup.id == second and latest.target is None


def test_an_incremental_backup_after_a_gap_starts_a_range(world):
    instance_id = world.instance()
    run_of(world, instance_id, (0, 100), (100, 200), (200, 300))
    # The guest found the second object gone.
    report(world, instance_id, binlog(
        world, instance_id, 2, T0 + 100, T0 + 200, state='missing',
        reason='archive object mysql-bin.000002 is missing'))
    full = backup_at(world, instance_id, T0 + 40, T0 + 50)
    incremental = backup_at(world, instance_id, T0 + 240, T0 + 250,
                            parent_id=full)
    view = window(world, instance_id)
    assert (view['earliest'], view['latest']) == (at(T0 + 50), at(T0 + 300))
    assert view['gaps'] == [{
        'from': at(T0 + 100), 'to': at(T0 + 250),
        'reason': 'archive object mysql-bin.000002 is missing'}]
    point = pitr.resolve(world.context, {'instanceRef': instance_id,
                                         'restoreTime': at(T0 + 280)})
    assert point.backup.id == incremental
    assert [a.name for a in point.archives] == ['mysql-bin.000003']


def test_an_incremental_backup_with_a_broken_chain_is_no_base(world):
    instance_id = world.instance()
    run_of(world, instance_id, (0, 100), (100, 200), (200, 300))
    failed_full = backup_at(world, instance_id, T0 + 40, T0 + 50,
                            state='FAILED')
    backup_at(world, instance_id, T0 + 140, T0 + 150,
              parent_id=failed_full)
    assert window(world, instance_id)['earliest'] is None
    full = backup_at(world, instance_id, T0 + 160, T0 + 170)
    incremental = backup_at(world, instance_id, T0 + 240, T0 + 250,
                            parent_id=full)
    assert window(world, instance_id)['earliest'] == at(T0 + 170)
    # The full backup deleted (its children go with it in the API; here
    # only the row): the incremental one is no base any more.
    with db_api.writer(world.context) as session:
        session.get(db_models.Backup, full).deleted = True
    assert window(world, instance_id)['earliest'] is None
    assert incremental


# Gaps with their reasons -----------------------------------------------------

def test_a_failing_upload_is_an_open_gap_then_a_gap(world):
    instance_id = world.instance()
    run_of(world, instance_id, (0, 100), (100, 200))
    backup_at(world, instance_id, T0 + 40, T0 + 50)
    report(world, instance_id, binlog(
        world, instance_id, 3, T0 + 200, T0 + 300, state='failed',
        reason='the storage refused the upload: 507 Insufficient Storage'))
    view = window(world, instance_id)
    # The window stops before the failed file, and says why.
    assert view['latest'] == at(T0 + 200)
    [gap] = view['gaps']
    assert (gap['from'], gap['to']) == (at(T0 + 200), None)
    assert 'upload of binlog mysql-bin.000003 to the archive failed' \
        in gap['reason']
    assert '507 Insufficient Storage' in gap['reason']
    assert 'a new backup starts a new range' in gap['reason']
    # An event says so, once per failure.
    report(world, instance_id, binlog(
        world, instance_id, 3, T0 + 200, T0 + 300, state='failed',
        reason='again'))
    messages = [e.message for e in _events(world, instance_id)]
    assert len([m for m in messages if 'mysql-bin.000003' in m]) == 1

    # The file was lost for good; later ones were shipped, a new backup
    # taken: the failed upload is a gap between two ranges.
    run_of(world, instance_id, (300, 400), (400, 500), start_seq=4)
    backup_at(world, instance_id, T0 + 340, T0 + 350)
    view = window(world, instance_id)
    assert view['latest'] == at(T0 + 500)
    [gap] = view['gaps']
    assert (gap['from'], gap['to']) == (at(T0 + 200), at(T0 + 350))
    assert 'mysql-bin.000003' in gap['reason']

    # The retry succeeded after all: no gap.
    report(world, instance_id, binlog(world, instance_id, 3, T0 + 200,
                                      T0 + 300))
    view = window(world, instance_id)
    assert (view['earliest'], view['latest'], view['gaps']) == (
        at(T0 + 50), at(T0 + 500), [])


def test_files_never_archived_are_a_gap(world):
    """mysql-bin.000003 and 000004 were purged before they were shipped
    (archiving was off long enough): the numbering says so."""
    instance_id = world.instance()
    run_of(world, instance_id, (0, 100), (100, 200))
    run_of(world, instance_id, (400, 500), (500, 600), start_seq=5)
    backup_at(world, instance_id, T0 + 40, T0 + 50)
    # The conductor noticed when mysql-bin.000005 came: an event.
    [event] = [e.message for e in _events(world, instance_id)]
    assert 'between mysql-bin.000002 and mysql-bin.000005 were never' \
        in event
    view = window(world, instance_id)
    assert view['latest'] == at(T0 + 200)
    [gap] = view['gaps']
    assert gap['to'] is None
    assert 'between mysql-bin.000002 and mysql-bin.000005 were never ' \
        'archived' in gap['reason']
    backup_at(world, instance_id, T0 + 440, T0 + 450)
    view = window(world, instance_id)
    [gap] = view['gaps']
    assert (gap['from'], gap['to']) == (at(T0 + 200), at(T0 + 450))
    assert 'never archived' in gap['reason']
    # A restore into it: 400 naming why.
    with pytest.raises(Exception) as error:
        pitr.resolve(world.context, {'instanceRef': instance_id,
                                     'restoreTime': at(T0 + 300)})
    assert 'never archived' in str(error.value)


def test_wal_numbering_carries_into_the_next_log(world):
    instance_id = world.instance(manager='postgresql')
    names = ['0000000100000000000000FF', '000000010000000100000000',
             '000000010000000100000001']
    entries = []
    for number, name in enumerate(names):
        entries.append({
            'name': name, 'kind': 'wal', 'state': 'archived',
            'seq': int(name[8:16], 16) * 0x100000000 + int(name[16:], 16),
            'location': 'file:///w/%s' % name, 'checksum': 'c' * 32,
            'opened_at': T0 + number * 100,
            'closed_at': T0 + (number + 1) * 100})
    report(world, instance_id, *entries)
    backup_at(world, instance_id, T0 + 40, T0 + 50)
    view = window(world, instance_id)
    assert (view['latest'], view['gaps']) == (at(T0 + 300), [])


def test_archiving_off_then_on_is_a_gap_with_its_reason(world):
    instance_id = world.instance()
    run_of(world, instance_id, (0, 100), (100, 200))
    backup_at(world, instance_id, T0 + 40, T0 + 50)
    marker = {'name': 'archiving-off-%.6f' % (T0 + 200), 'kind': 'off',
              'state': 'off', 'opened_at': T0 + 200, 'closed_at': None,
              'reason': 'archiving was switched off on the instance '
                        '(pitr_enabled = false)'}
    report(world, instance_id, marker)
    view = window(world, instance_id)
    [gap] = view['gaps']
    assert (gap['from'], gap['to']) == (at(T0 + 200), None)
    assert 'switched off on the instance (pitr_enabled = false) since ' \
        + at(T0 + 200) in gap['reason']

    # On again at +300: the files after it are shipped (numbering goes on:
    # those closed meanwhile were left out), a backup starts a range.
    report(world, instance_id, dict(marker, closed_at=T0 + 300))
    run_of(world, instance_id, (300, 400), (400, 500), start_seq=4)
    backup_at(world, instance_id, T0 + 410, T0 + 420)
    view = window(world, instance_id)
    assert (view['earliest'], view['latest']) == (at(T0 + 50), at(T0 + 500))
    [gap] = view['gaps']
    assert (gap['from'], gap['to']) == (at(T0 + 200), at(T0 + 420))
    assert 'from %s to %s' % (at(T0 + 200), at(T0 + 300)) in gap['reason']
    assert 'pitr_enabled = false' in gap['reason']
    # Both ends of the period are in the instance's events.
    messages = [e.message for e in _events(world, instance_id)]
    assert any('nothing is archived' in m for m in messages)
    assert any('archiving is on again' in m for m in messages)
    # The files left out meanwhile are explained by the period.
    assert not any('never archived' in m for m in messages)


def test_the_engine_not_logging_splits_contiguous_files(world):
    """A server restarted without binary logging and back: its files are
    numbered in a row, but the writes meanwhile are in none of them."""
    instance_id = world.instance()
    run_of(world, instance_id, (0, 100), (100, 200))
    report(world, instance_id, {
        'name': 'archiving-off-%.6f' % (T0 + 200), 'kind': 'off',
        'state': 'off', 'opened_at': T0 + 200, 'closed_at': T0 + 260,
        'reason': 'the server runs without binary logging (log_bin off)'})
    run_of(world, instance_id, (260, 300), (300, 400), start_seq=3)
    backup_at(world, instance_id, T0 + 40, T0 + 50)
    backup_at(world, instance_id, T0 + 310, T0 + 320)
    view = window(world, instance_id)
    [gap] = view['gaps']
    assert (gap['from'], gap['to']) == (at(T0 + 200), at(T0 + 320))
    assert 'log_bin off' in gap['reason']


def _events(world, instance_id):
    with db_api.reader(world.context) as session:
        return session.query(db_models.InstanceEvent).filter_by(
            instance_id=instance_id, kind=events.PITR).all()


# Retention -------------------------------------------------------------------

def _index(world, instance_id):
    return [r.name for r in pitr_index.archives_of(world.context,
                                                   instance_id)]


def _exists(location):
    return os.path.exists(location[len('file://'):])


@pytest.fixture
def retention():
    CONF.set_override('pitr_retention_days', 1)
    yield
    CONF.clear_override('pitr_retention_days')


def test_old_files_go_only_once_no_kept_backup_needs_them(world, retention):
    instance_id = world.instance()
    old = T0 - 5 * DAY          # all past the retention of 1 day
    entries = [binlog(world, instance_id, seq, old + seq * 100,
                      old + (seq + 1) * 100) for seq in range(1, 7)]
    report(world, instance_id, *entries)
    # The full backup started in file 3; its incremental one in file 5.
    full = backup_at(world, instance_id, old + 350, old + 390)
    incremental = backup_at(world, instance_id, old + 550, old + 590,
                            parent_id=full)
    assert pitr_retention.prune(world.context) == {
        instance_id: ['mysql-bin.000001', 'mysql-bin.000002']}
    assert _index(world, instance_id) == ['mysql-bin.%06d' % n
                                          for n in range(3, 7)]
    assert not _exists(entries[0]['location'])
    assert _exists(entries[2]['location'])
    assert any('retention pruned 2 archived file(s), mysql-bin.000001 to '
               'mysql-bin.000002' in e.message
               for e in _events(world, instance_id))
    # The window starts at the oldest kept backup, unchanged.
    assert window(world, instance_id)['earliest'] == at(old + 390)

    # The user deletes the full backup (its incremental one goes with it):
    # nothing needs the files any more, and the delete flow prunes them.
    ok(world.api.request('DELETE', BASE + '/backups/' + full), 202)
    for backup_id in (full, incremental):
        backup_flows.PruneArchive().run(_Flow(world.context, backup_id))
    assert _index(world, instance_id) == []
    assert not any(_exists(e['location']) for e in entries)
    assert window(world, instance_id)['earliest'] is None


def test_recent_files_stay_whatever_the_backups(world, retention):
    instance_id = world.instance()
    recent = time.time() - 3600
    entries = [binlog(world, instance_id, seq, recent + seq,
                      recent + seq + 1) for seq in (1, 2)]
    old = [binlog(world, instance_id, 0, T0 - 3 * DAY, T0 - 3 * DAY + 60,
                  state='failed', reason='upload failed')]
    report(world, instance_id, *(old + entries))
    # No backup at all: the old failed row goes, the recent files stay.
    assert pitr_retention.prune_instance(world.context, instance_id) == [
        'mysql-bin.000000']
    assert _index(world, instance_id) == ['mysql-bin.000001',
                                          'mysql-bin.000002']
    assert all(_exists(e['location']) for e in entries)


def test_schedule_retention_deleting_a_chain_frees_its_files(world,
                                                             retention):
    instance_id = world.instance()
    old = T0 - 5 * DAY
    entries = [binlog(world, instance_id, seq, old + seq * 100,
                      old + (seq + 1) * 100) for seq in range(1, 5)]
    report(world, instance_id, *entries)
    first = backup_at(world, instance_id, old + 150, old + 160)
    backup_at(world, instance_id, old + 350, old + 360)
    assert pitr_retention.prune_instance(world.context, instance_id) == []
    # Retention (or anyone) deleted the first chain's rows.
    with db_api.writer(world.context) as session:
        session.get(db_models.Backup, first).deleted = True
    assert pitr_retention.prune_instance(world.context, instance_id) == [
        'mysql-bin.000001', 'mysql-bin.000002']
    assert window(world, instance_id)['earliest'] == at(old + 360)


def test_an_open_off_period_is_kept_and_a_pruned_file_stays_gone(
        world, retention):
    instance_id = world.instance()
    old = T0 - 5 * DAY
    entry = binlog(world, instance_id, 1, old, old + 100)
    marker = {'name': 'archiving-off-1', 'kind': 'off', 'state': 'off',
              'opened_at': old + 100, 'closed_at': None,
              'reason': 'archiving was switched off'}
    report(world, instance_id, entry, marker)
    assert pitr_retention.prune_instance(world.context, instance_id) == [
        'mysql-bin.000001']
    assert _index(world, instance_id) == ['archiving-off-1']
    # The guest notices the pruned object gone: the row does not come
    # back as missing, and no fault is raised.
    report(world, instance_id, dict(
        entry, state='missing',
        reason='archive object mysql-bin.000001 is missing'))
    assert _index(world, instance_id) == ['archiving-off-1']
    with db_api.reader(world.context) as session:
        assert session.query(db_models.InstanceFault).filter_by(
            instance_id=instance_id).count() == 0


class _Flow:
    def __init__(self, context, resource_id):
        self.context = context
        self.resource_id = resource_id
