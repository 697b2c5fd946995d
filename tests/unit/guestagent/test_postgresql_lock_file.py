"""A PostgreSQL lock file left by a killed postmaster (fenced, or a
zombie not yet reaped) does not keep the engine from starting; one whose
postmaster lives is left for PostgreSQL to refuse."""

import os
import subprocess

import pytest

from trove.guestagent.datastore.postgresql import app as pg_app


@pytest.fixture
def engine(tmp_path, monkeypatch):
    engine = pg_app.PostgresEngine()
    monkeypatch.setattr(pg_app.PostgresEngine, 'pgdata', str(tmp_path))
    monkeypatch.setattr(pg_app.PostgresEngine, 'runtime_dir', str(tmp_path))
    monkeypatch.setattr(pg_app.PostgresEngine, 'port', 5432)
    return engine


def socket_lock(path):
    return os.path.join(path, '.s.PGSQL.5432.lock')


def write_lock(path, pid):
    with open(os.path.join(path, 'postmaster.pid'), 'w') as lock:
        lock.write('%d\n%s\n' % (pid, path))


def test_the_lock_of_a_dead_or_zombie_postmaster_is_removed(engine):
    # A child never waited for: a zombie once it exits.
    child = subprocess.Popen(['true'])
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        write_lock(engine.pgdata, child.pid)
        with open(socket_lock(engine.pgdata), 'w') as lock:
            lock.write('%d\n' % child.pid)
        engine._remove_stale_lock_file()
        assert not os.path.exists(os.path.join(engine.pgdata,
                                               'postmaster.pid'))
        assert not os.path.exists(socket_lock(engine.pgdata))
    finally:
        child.wait()


def test_the_lock_of_a_live_postmaster_stays(engine):
    write_lock(engine.pgdata, os.getpid())
    engine._remove_stale_lock_file()
    assert os.path.exists(os.path.join(engine.pgdata, 'postmaster.pid'))


def test_no_lock_file_is_fine(engine):
    engine._remove_stale_lock_file()
