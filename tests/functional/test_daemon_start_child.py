"""trove.common.daemon.start_child: a program started by a long-running
process in a session of its own, its pid in its pid file, its output in
its log, reaped by the starter when it ends (never left a zombie), and
run as another user when asked."""

import os
import pwd
import signal
import sys

import pytest

from tests.helpers.processes import wait_until
from trove.common import daemon

PROGRAM = ('import os, sys, time; print("started", os.getuid(), '
           'os.environ.get("HOME"), flush=True); '
           'time.sleep(float(sys.argv[1]))')


def state_of(pid):
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0]
    except FileNotFoundError:
        return None


def start(tmp_path, seconds, user=None):
    return daemon.start_child([sys.executable, '-c', PROGRAM, str(seconds)],
                              str(tmp_path / 'p.pid'),
                              str(tmp_path / 'p.log'), cwd=str(tmp_path),
                              user=user)


def test_it_runs_in_its_own_session_and_is_reaped_when_it_ends(tmp_path):
    pid = start(tmp_path, 0.5)
    try:
        assert daemon.read_pid(str(tmp_path / 'p.pid')) == pid
        assert os.getsid(pid) == pid != os.getsid(0)
        assert os.getpgid(pid) == pid
        wait_until(lambda: b'started' in (tmp_path / 'p.log').read_bytes(),
                   timeout=10)
        # Ended: gone from the process table, not a zombie of this one.
        wait_until(lambda: state_of(pid) is None, timeout=10,
                   message='pid %d left as %s' % (pid, state_of(pid)))
    finally:
        daemon.terminate(pid, timeout=5)


def test_a_stopped_program_is_reaped_too(tmp_path):
    pid = start(tmp_path, 60)
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: state_of(pid) is None, timeout=10)
    assert not daemon.is_running(str(tmp_path / 'p.pid'))


def test_a_missing_program_raises_and_writes_no_pid_file(tmp_path):
    with pytest.raises(OSError):
        daemon.start_child(['/nonexistent/engine'], str(tmp_path / 'p.pid'),
                           str(tmp_path / 'p.log'))
    assert not (tmp_path / 'p.pid').exists()


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to switch user')
def test_it_runs_as_the_user_asked_with_its_home(tmp_path):
    nobody = pwd.getpwnam('nobody')
    os.chmod(tmp_path, 0o777)
    # A shell: this test's Python is not for other users to run.
    pid = daemon.start_child(
        ['/bin/sh', '-c', 'echo started $(id -u) $HOME; sleep 5'],
        str(tmp_path / 'p.pid'), str(tmp_path / 'p.log'),
        cwd=str(tmp_path), user='nobody')
    try:
        wait_until(lambda: b'started' in (tmp_path / 'p.log').read_bytes(),
                   timeout=10)
        words = (tmp_path / 'p.log').read_text().split()
        assert words[1:3] == [str(nobody.pw_uid), nobody.pw_dir]
    finally:
        daemon.terminate(pid, timeout=5)
