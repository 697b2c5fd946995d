"""Point-in-time recovery pieces: the restorable window and its gaps, the
choice of backup and archive run, and the parsers of the engines' logs."""

import types

import pytest

from trove.common import exception
from trove.guestagent.backup import pitr_mariadb, pitr_postgresql
from trove.instance import pitr


def archive(name, seq, opened, closed, state='archived', last=None):
    return types.SimpleNamespace(
        name=name, seq=seq, kind='binlog', opened_at=opened,
        first_event=opened, last_event=last if last is not None else closed,
        closed_at=closed, state=state,
        location='file:///b/%s' % name if state != 'failed' else None,
        checksum='c' * 32, reason=None if state == 'archived'
        else 'archive object %s is %s' % (name, state))


def test_window_spans_backup_to_end_of_archive():
    archives = [archive('b.1', 1, 100, 200), archive('b.2', 2, 200, 300)]
    found = pitr.ranges(archives, [(150, 'full-1')])
    view = pitr.window_of(found, archives)
    assert view['earliest'] == pitr.iso(150)
    assert view['latest'] == pitr.iso(300)
    assert view['gaps'] == []


def test_no_backup_no_window():
    archives = [archive('b.1', 1, 100, 200)]
    view = pitr.window_of(pitr.ranges(archives, []), archives)
    assert view == {'earliest': None, 'latest': None, 'gaps': []}


def test_missing_object_is_a_gap_with_its_reason():
    archives = [archive('b.1', 1, 100, 200),
                archive('b.2', 2, 200, 300, state='missing'),
                archive('b.3', 3, 300, 400), archive('b.4', 4, 400, 500)]
    backups = [(150, 'full-1'), (350, 'full-2')]
    found = pitr.ranges(archives, backups)
    assert [(r.start, r.end) for r in found] == [(150, 200), (350, 500)]
    view = pitr.window_of(found, archives)
    assert view['gaps'] == [{'from': pitr.iso(200), 'to': pitr.iso(350),
                             'reason': 'archive object b.2 is missing'}]
    assert 'b.2 is missing' in pitr.describe(view)


def test_parse_time_accepts_utc_iso_and_refuses_garbage():
    assert pitr.parse_time('1970-01-01T00:01:40Z') == 100
    assert pitr.parse_time('1970-01-01T00:01:40') == 100
    assert pitr.parse_time('1970-01-01T01:01:40+01:00') == 100
    with pytest.raises(exception.BadRequest):
        pitr.parse_time('yesterday')


def test_pg_replays_everything_at_or_after_the_last_commit():
    point = {'target': 250.0, 'archives': [{'last_event': 240.0}]}
    assert pitr_postgresql.replay_target(point) is None
    point['archives'].append({'last_event': 260.0})
    assert pitr_postgresql.replay_target(point) == 250.0
    settings = pitr_postgresql.recovery_settings(point, '/p', '/a')
    assert "recovery_target_time = '1970-01-01 00:04:10.000000+00'" \
        in settings
    assert "recovery_target_action = 'promote'" in settings
    assert 'recovery_target_time =' not in pitr_postgresql.recovery_settings(
        {'target': None, 'archives': []}, '/p', '/a')


def test_waldump_commit_times():
    output = ('rmgr: Transaction len (rec/tot): 34/34, tx: 740, lsn: '
              '0/0300A1D0, prev 0/0300A198, desc: COMMIT 2026-12-05 '
              '11:50:01.250000 UTC\nrmgr: Transaction ... desc: COMMIT '
              '2026-12-05 11:50:03 UTC\n')
    first, last = pitr_postgresql.commit_times(output)
    assert last - first == pytest.approx(1.75)
    assert pitr_postgresql.wal_seq('000000020000000100000003') == \
        0x100000003


def test_binlog_description():
    output = (
        '#261205 11:50:00 server id 7  end_log_pos 256 CRC32 0x1 Start: '
        'binlog v 4\n'
        '#261205 11:50:01 server id 7  end_log_pos 300 CRC32 0x2 GTID '
        '0-7-12 trans\nBEGIN\n'
        '#261205 11:50:09 server id 7  end_log_pos 400 CRC32 0x3 GTID '
        '0-7-13 trans\n'
        '#261205 11:50:10 server id 7  end_log_pos 450 CRC32 0x4 Rotate '
        'to mysql-bin.000004  pos: 4\n')
    entry = pitr_mariadb.describe_output(output)
    assert entry['server_id'] == '7'
    assert (entry['first_gtid'], entry['last_gtid']) == ('0-7-12', '0-7-13')
    assert entry['last_event'] - entry['first_event'] == 8
    assert entry['opened_at'] == entry['first_event'] - 1
    assert pitr_mariadb.binlog_seq('mysql-bin.000004') == 4


def test_lost_object_after_the_last_range_is_named():
    archives = [archive('b.1', 1, 100, 200.0000006),
                archive('b.2', 2, 200.0000006, 300, state='missing')]
    view = pitr.window_of(pitr.ranges(archives, [(150, 'full-1')]),
                          archives)
    assert view['latest'] == pitr.iso(200.0000006)
    assert 'b.2 is missing' in pitr.describe(view, archives)


def test_pg_downloads_from_the_backup_stop_segment():
    names = ['000000010000000000000003', '000000010000000000000004',
             '000000010000000000000005']
    archives = [{'name': n} for n in names]
    assert [a['name'] for a in pitr_postgresql.needed(
        archives, '000000010000000000000004')] == names[1:]
    assert pitr_postgresql.needed(archives, None) == archives
