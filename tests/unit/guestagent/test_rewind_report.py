"""What a PostgreSQL former primary holds that its new primary lacks,
read without rewinding (pg_rewind's dry run, then pg_waldump), and what
``follow`` does with it: in async mode it stays out holding it (no
rewind), in sync mode it is rewound (nothing in it was acknowledged);
with the commands and the engine faked."""

import os

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
HELD = ('5 transaction(s): 0/3000DC0..0/30011A8 of timeline 1 '
        '(xid 738..742)')


class FakeEngine:
    pgdata = '/data/pg'
    user = None

    def __init__(self, state_dir='/state', overrides_dir='/overrides'):
        self.state_dir = state_dir
        self.overrides_dir = overrides_dir
        self.alive = True
        self.events = []

    def _binary(self, name):
        return '/pg/bin/' + name

    def admin_password(self):
        return 'admin-pw'

    def is_alive(self):
        return self.alive

    def stop(self):
        self.alive = False
        self.events.append('stop')

    def start(self):
        self.alive = True
        self.events.append('start')


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


def test_the_held_commits_are_read_without_rewinding(monkeypatch,
                                                      strategy):
    calls = fake_run(monkeypatch, [DIVERGED, COMMITS])
    assert strategy._held(SOURCE, '0/30011A8') == HELD
    rewind, waldump = calls
    assert rewind[0] == '/pg/bin/pg_rewind' and '--dry-run' in rewind
    assert waldump == ['/pg/bin/pg_waldump', '--path', '/data/pg/pg_wal',
                       '--timeline', '1', '--start', '0/3000DC0', '--end',
                       '0/30011A8', '--rmgr', 'Transaction']


def test_nothing_held(monkeypatch, strategy):
    # Its WAL ends at the switch point: no dump at all.
    calls = fake_run(monkeypatch, [DIVERGED])
    assert strategy._held(SOURCE, '0/3000DC0') is None
    assert len(calls) == 1
    # No divergence (the same timeline).
    fake_run(monkeypatch, ['pg_rewind: no rewind required\n'])
    assert strategy._held(SOURCE, '0/30011A8') is None
    # WAL past the switch point but no commit in it.
    fake_run(monkeypatch, [DIVERGED, ''])
    assert strategy._held(SOURCE, '0/30011A8') is None


def test_an_unreadable_range_is_held(monkeypatch, strategy):
    # Nothing proves it holds no commit: named, with the error.
    fake_run(monkeypatch, [DIVERGED, errors.CommandError(
        ['pg_waldump'], 'failed with exit code 1',
        'pg_waldump: error: could not find file "000000010000000000000003"'
        '\n')])
    held = strategy._held(SOURCE, '0/30011A8')
    assert held.startswith(
        'the WAL 0/3000DC0..0/30011A8 of timeline 1 (its transactions '
        'could not be read: pg_waldump: error: could not find file')
    fake_run(monkeypatch, [DIVERGED])
    assert strategy._held(SOURCE, None) == (
        'the WAL from 0/3000DC0 of timeline 1 (its end could not be read)')


def test_a_failed_dry_run_is_the_rewind_error(monkeypatch, strategy):
    fake_run(monkeypatch, [errors.CommandError(
        ['pg_rewind'], 'failed with exit code 1',
        'pg_rewind: error: could not connect to server\n')])
    with pytest.raises(errors.GuestAgentError) as raised:
        strategy._held(SOURCE, '0/30011A8')
    assert 'could not be rewound onto its new source 127.0.0.5' in \
        str(raised.value)


@pytest.fixture
def former_primary(tmp_path, monkeypatch):
    """A fenced former primary (the marker written), its end of WAL at
    0/30011A8, its rewind, standby settings and slots recorded."""
    engine = FakeEngine(str(tmp_path / 'state'), str(tmp_path / 'conf'))
    os.makedirs(engine.state_dir)
    os.makedirs(engine.overrides_dir)
    strategy = postgresql_streaming.PostgresStreamingReplication(engine)
    open(strategy.fenced_marker, 'w').close()
    monkeypatch.setattr(strategy, '_end_of_wal', lambda: '0/30011A8')
    monkeypatch.setattr(strategy, 'start_fenced',
                        lambda mode: (engine.start(),
                                      engine.events.append('fenced')))
    monkeypatch.setattr(strategy, '_rewind',
                        lambda source: engine.events.append('rewind'))
    monkeypatch.setattr(strategy, '_write_standby',
                        lambda source: engine.events.append('standby'))
    monkeypatch.setattr(strategy, '_drop_stale_slots', lambda: None)
    return strategy


def test_async_holding_commits_stays_out_unrewound(monkeypatch,
                                                   former_primary):
    fake_run(monkeypatch, [DIVERGED, COMMITS])
    with pytest.raises(errors.GuestAgentError) as raised:
        former_primary.follow(SOURCE)
    assert str(raised.value) == (
        'It holds %s its new source 127.0.0.5 lacks; it stays out of '
        'replication (a rewind would discard them)' % HELD)
    # No rewind: back as a standby of nobody, holding them.
    engine = former_primary.engine
    assert engine.events == ['stop', 'start', 'fenced']
    assert engine.alive
    assert os.path.exists(former_primary.fenced_marker)


def test_async_unreadable_range_stays_out(monkeypatch, former_primary):
    fake_run(monkeypatch, [DIVERGED, errors.CommandError(
        ['pg_waldump'], 'failed with exit code 1', 'pg_waldump: error\n')])
    with pytest.raises(errors.GuestAgentError) as raised:
        former_primary.follow(SOURCE)
    assert 'it stays out of replication' in str(raised.value)
    assert 'rewind' not in former_primary.engine.events


def test_a_failed_dry_run_leaves_it_fenced(monkeypatch, former_primary):
    fake_run(monkeypatch, [errors.CommandError(
        ['pg_rewind'], 'failed with exit code 1', 'pg_rewind: error\n')])
    with pytest.raises(errors.GuestAgentError):
        former_primary.follow(SOURCE)
    assert former_primary.engine.events == ['stop', 'start', 'fenced']


def test_nothing_held_is_rewound_and_follows(monkeypatch, former_primary):
    fake_run(monkeypatch, [DIVERGED, ''])
    assert former_primary.follow(SOURCE) is None
    assert former_primary.engine.events == ['stop', 'rewind', 'standby',
                                            'start']
    assert not os.path.exists(former_primary.fenced_marker)


def test_sync_unacknowledged_commits_are_rewound(monkeypatch,
                                                 former_primary):
    # Its commits waited for a standby: none of these was acknowledged.
    open(os.path.join(former_primary.engine.overrides_dir,
                      postgresql_streaming.SYNC_CONF), 'w').close()
    fake_run(monkeypatch, [DIVERGED, COMMITS])
    assert former_primary.follow(SOURCE) == (
        'It held %s its new source 127.0.0.5 lacks; pg_rewind discarded '
        'them (never acknowledged)' % HELD)
    assert former_primary.engine.events == ['stop', 'rewind', 'standby',
                                            'start']
