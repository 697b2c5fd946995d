"""What a PostgreSQL former primary's rewind discards, read before the
rewind (pg_rewind's dry run, then pg_waldump), with the commands faked."""

import pytest

from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.replication import postgresql_streaming

SOURCE = {'host': '127.0.0.5', 'port': 5432, 'user': 'trove_repl_x',
          'password': 'pw'}
DIVERGED = ('pg_rewind: servers diverged at WAL location 0/3000DC0 on '
            'timeline 1\npg_rewind: rewinding from last common checkpoint '
            'at 0/2000060 on timeline 1\npg_rewind: Done!\n')
COMMITS = ''.join(
    'rmgr: Transaction len (rec/tot):     34/    34, tx:        %d, lsn: '
    '0/0300%04X, prev 0/03000D00, desc: COMMIT 2026-12-05 14:55:00 UTC\n'
    % (xid, 0xE00 + 0xA8 * n) for n, xid in enumerate(range(738, 743)))


class FakeEngine:
    pgdata = '/data/pg'
    user = None

    def _binary(self, name):
        return '/pg/bin/' + name

    def admin_password(self):
        return 'admin-pw'


@pytest.fixture
def strategy():
    return postgresql_streaming.PostgresStreamingReplication(FakeEngine())


def fake_run(monkeypatch, answers):
    calls = []

    def run(args, **kwargs):
        calls.append([str(a) for a in args])
        answer = answers[len(calls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer
    monkeypatch.setattr(operating_system, 'run', run)
    return calls


def test_the_discarded_commits_are_said_as_lost(monkeypatch, strategy):
    calls = fake_run(monkeypatch, [DIVERGED, COMMITS])
    report = strategy._discarded(SOURCE, '0/30011A8')
    assert report == (
        'It held 5 transaction(s): 0/3000DC0..0/30011A8 of timeline 1 '
        '(xid 738..742) its new source 127.0.0.5 lacks; pg_rewind '
        'discarded them')
    rewind, waldump = calls
    assert rewind[0] == '/pg/bin/pg_rewind' and '--dry-run' in rewind
    assert waldump == ['/pg/bin/pg_waldump', '--path', '/data/pg/pg_wal',
                       '--timeline', '1', '--start', '0/3000DC0', '--end',
                       '0/30011A8', '--rmgr', 'Transaction']


def test_nothing_lost(monkeypatch, strategy):
    # Its WAL ends at the switch point: no dump at all.
    calls = fake_run(monkeypatch, [DIVERGED])
    assert strategy._discarded(SOURCE, '0/3000DC0') is None
    assert len(calls) == 1
    # No divergence (the same timeline).
    fake_run(monkeypatch, ['pg_rewind: no rewind required\n'])
    assert strategy._discarded(SOURCE, '0/30011A8') is None
    # WAL past the switch point but no commit in it.
    fake_run(monkeypatch, [DIVERGED, ''])
    assert strategy._discarded(SOURCE, '0/30011A8') is None


def test_an_unreadable_range_is_still_named(monkeypatch, strategy):
    fake_run(monkeypatch, [DIVERGED, errors.CommandError(
        ['pg_waldump'], 'failed with exit code 1',
        'pg_waldump: error: could not find file "000000010000000000000003"'
        '\n')])
    report = strategy._discarded(SOURCE, '0/30011A8')
    assert report.startswith(
        'It held the WAL 0/3000DC0..0/30011A8 of timeline 1 (its '
        'transactions could not be read: pg_waldump: error: could not '
        'find file')
    assert report.endswith('its new source 127.0.0.5 lacks')


def test_a_failed_dry_run_is_the_rewind_error(monkeypatch, strategy):
    fake_run(monkeypatch, [errors.CommandError(
        ['pg_rewind'], 'failed with exit code 1',
        'pg_rewind: error: could not connect to server\n')])
    with pytest.raises(errors.GuestAgentError) as raised:
        strategy._discarded(SOURCE, '0/30011A8')
    assert 'could not be rewound onto its new source 127.0.0.5' in \
        str(raised.value)
