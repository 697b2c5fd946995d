"""trove.common.forkserver with a real server process: what it forks is
detached (its own session, not the server's child, output in its log,
pid in its pid file) and outlives the server; a failed request is told,
not fatal; a server that died is started again."""

import json
import os
import signal
import sys

import pytest

from tests.helpers.processes import wait_until
from trove.common import daemon, forkserver

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.fixture
def server():
    started = forkserver.ForkServer(
        [sys.executable, '-m', 'tests.helpers.forked_program'],
        env=dict(os.environ, PYTHONPATH=ROOT))
    forked = []
    yield started, forked
    started.close()
    for pid in forked:
        daemon.terminate(pid, timeout=5)


def spawn(server, tmp_path, name, *extra):
    started, forked = server
    report = tmp_path / (name + '.json')
    pid = started.spawn([str(report)] + list(extra),
                        str(tmp_path / (name + '.pid')),
                        str(tmp_path / (name + '.log')), cwd=str(tmp_path))
    forked.append(pid)
    return pid, report


def read_report(report):
    wait_until(report.exists, timeout=10)
    return json.loads(report.read_text())


def test_a_forked_program_is_detached_and_outlives_the_server(
        server, tmp_path):
    started, _ = server
    pid, report = spawn(server, tmp_path, 'first')
    server_pid = started.pid
    seen = read_report(report)
    assert seen['pid'] == pid == daemon.read_pid(str(tmp_path / 'first.pid'))
    assert seen['argv'] == [str(report)]
    assert seen['sys_argv'] == ['forked-program', str(report)]
    assert seen['name'] == 'forked-program'
    assert seen['cwd'] == str(tmp_path)
    # Its own session, neither the server's nor this test's, and not a
    # child the server would have to reap.
    assert seen['sid'] not in (os.getsid(0), os.getsid(server_pid))
    assert seen['ppid'] != server_pid
    wait_until(lambda: b'running' in (tmp_path / 'first.log').read_bytes(),
               timeout=10)

    started.close()
    assert not daemon.pid_alive(server_pid)
    assert daemon.pid_alive(pid), 'the program died with the server'
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not daemon.pid_alive(pid), timeout=10)
    assert b'stopping' in (tmp_path / 'first.log').read_bytes()


def test_many_programs_from_one_server_are_distinct(server, tmp_path):
    started, _ = server
    pids = [spawn(server, tmp_path, 'p%d' % n)[0] for n in range(5)]
    server_pid = started.pid
    assert len(set(pids)) == 5
    assert all(daemon.pid_alive(pid) for pid in pids)
    assert started.pid == server_pid, 'one server forked them all'


def test_a_failed_request_is_told_and_the_server_goes_on(server, tmp_path):
    started, _ = server
    with pytest.raises(forkserver.ForkServerError,
                       match='FileNotFoundError.*no-such-dir'):
        started.spawn([str(tmp_path / 'never.json')],
                      str(tmp_path / 'no-such-dir' / 'x.pid'),
                      str(tmp_path / 'x.log'))
    pid, report = spawn(server, tmp_path, 'after')
    assert read_report(report)['pid'] == pid


def test_a_program_that_returns_ends_with_its_words_in_its_log(
        server, tmp_path):
    pid, _ = spawn(server, tmp_path, 'quick', '--exit', 'no guest_id set')
    wait_until(lambda: not daemon.pid_alive(pid), timeout=10)
    assert b'no guest_id set' in (tmp_path / 'quick.log').read_bytes()


def test_a_server_that_died_is_started_again(server, tmp_path):
    started, _ = server
    spawn(server, tmp_path, 'one')
    first_server = started.pid
    os.kill(first_server, signal.SIGKILL)
    wait_until(lambda: not daemon.pid_alive(first_server), timeout=10)
    # The request that finds it dead fails; the next starts a new one.
    try:
        pid, report = spawn(server, tmp_path, 'two')
    except forkserver.ForkServerError:
        pid, report = spawn(server, tmp_path, 'two')
    assert read_report(report)['pid'] == pid
    assert started.pid not in (None, first_server)
