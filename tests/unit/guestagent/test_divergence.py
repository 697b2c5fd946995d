from trove.guestagent.replication import divergence


def test_gtids_the_new_primary_lacks():
    mine = divergence.gtid_state('0-1-105')
    # The new primary (server 2) applied up to 0-1-100 as a replica and
    # then wrote its own transactions.
    theirs = divergence.gtid_state('0-1-100,0-2-130', '0-2-130')
    ranges = divergence.missing_gtids(mine, theirs)
    assert ranges == [(0, 1, 101, 105)]
    assert divergence.count(ranges) == 5
    assert divergence.describe(ranges) == \
        '5 transaction(s): 0-1-101..0-1-105'


def test_nothing_missing_and_single_and_several_domains():
    assert divergence.missing_gtids(divergence.gtid_state('0-1-5'),
                                    divergence.gtid_state('0-1-5')) == []
    ranges = divergence.missing_gtids(
        divergence.gtid_state('0-1-7,\n1-1-3'),
        divergence.gtid_state('0-1-6', ''))
    assert divergence.describe(ranges) == \
        '4 transaction(s): 0-1-7, 1-1-1..1-1-3'


# PostgreSQL: what pg_rewind's dry run and pg_waldump print (15).
REWIND = '''pg_rewind: servers diverged at WAL location 0/3004238 on timeline 1
pg_rewind: rewinding from last common checkpoint at 0/2000060 on timeline 1
pg_rewind: Done!
'''
WALDUMP = (
    'rmgr: Transaction len (rec/tot):     34/    34, tx:        726, lsn: '
    '0/030042B8, prev 0/03004278, desc: COMMIT 2026-12-05 14:49:55.737162 '
    'UTC\n'
    'rmgr: Transaction len (rec/tot):     34/    34, tx:        727, lsn: '
    '0/03004360, prev 0/03004320, desc: ABORT 2026-12-05 14:49:55.765020 '
    'UTC\n'
    'rmgr: Transaction len (rec/tot):     34/    34, tx:        728, lsn: '
    '0/03004408, prev 0/030043C8, desc: COMMIT 2026-12-05 14:49:55.792199 '
    'UTC; inval msgs: catcache 55\n'
    'rmgr: Transaction len (rec/tot):     66/    66, tx:          0, lsn: '
    '1A/0E000028, prev 1A/0DFFFFF0, desc: COMMIT_PREPARED 731: 2026-12-05 '
    '14:49:56.1 UTC\n')


def test_where_the_servers_diverged():
    assert divergence.rewind_divergence(REWIND) == ('0/3004238', 1)
    assert divergence.rewind_divergence(
        'pg_rewind: source and target cluster are on the same timeline\n'
        'pg_rewind: no rewind required\n') is None


def test_the_commits_in_the_discarded_wal():
    assert divergence.wal_commits(WALDUMP) == [
        (726, '0/30042B8'), (728, '0/3004408'), (731, '1A/E000028')]
    assert divergence.wal_commits('') == []


def test_the_lost_wal_said_as_the_lost_gtids():
    text = divergence.describe_wal('0/3004238', '0/3004430', 1,
                                   [726, 727, 728, 729, 730])
    assert text == ('5 transaction(s): 0/3004238..0/3004430 of timeline 1 '
                    '(xid 726..730)')
    assert divergence.describe_wal('0/1', '0/2', 2, [9, 7, 10]) == \
        '3 transaction(s): 0/1..0/2 of timeline 2 (xid 7, 9..10)'
    assert divergence.lacked_by(text, '127.0.0.5', held=True) == (
        'It held 5 transaction(s): 0/3004238..0/3004430 of timeline 1 '
        '(xid 726..730) its new source 127.0.0.5 lacks')
    gtids = divergence.describe([(0, 1, 101, 105)])
    assert divergence.lacked_by(gtids, '127.0.0.5') == (
        'It holds 5 transaction(s): 0-1-101..0-1-105 its new source '
        '127.0.0.5 lacks')
    # Both engines refuse in the same words.
    assert divergence.stays_out(divergence.lacked_by(text, '127.0.0.5'),
                                'a rewind would discard them') == (
        'It holds 5 transaction(s): 0/3004238..0/3004430 of timeline 1 '
        '(xid 726..730) its new source 127.0.0.5 lacks; it stays out of '
        'replication (a rewind would discard them)')
