"""Starting detached processes that outlive whoever started them.

``spawn`` runs this module as a short-lived launcher that double-forks:
the program ends up in its own session, re-parented to init (so it is
never left a zombie of a long-running starter such as the taskmanager),
optionally as another OS user, with its output in a log file and its pid
in a pid file. ``start_child`` does the same from a long-running starter
that reaps its children itself. ``is_running`` and ``terminate`` work
from the pid file alone, so a restarted starter finds its processes
again.
"""

import argparse
import os
import pwd
import signal
import subprocess
import sys
import threading
import time


def spawn(args, pid_path, log_path, env=None, cwd=None, user=None,
          timeout=30):
    """Start ``args`` detached; returns its pid once the pid file exists."""
    command = [sys.executable, '-m', 'trove.common.daemon',
               '--pid-file', pid_path, '--log-file', log_path]
    if cwd:
        command += ['--cwd', cwd]
    if user:
        command += ['--user', user]
    command += ['--'] + list(args)
    if os.path.exists(pid_path):
        os.unlink(pid_path)
    launcher = subprocess.run(command, env=env, timeout=timeout,
                              capture_output=True, text=True)
    if launcher.returncode != 0:
        raise RuntimeError('Could not start %s: %s'
                           % (args[0], launcher.stderr.strip()))
    return read_pid(pid_path)


def start_child(args, pid_path, log_path, cwd=None, user=None):
    """Start ``args`` in a session of its own, as ``spawn`` does, but as
    a child of this process, which a thread of it reaps when it ends:
    for a long-running starter (the guest agent starting its engine),
    without the launcher interpreter ``spawn`` costs (about 30 ms of
    CPU). Should this process end first, the program is re-parented to
    init like any other. Returns its pid, in the pid file too."""
    if os.path.exists(pid_path):
        os.unlink(pid_path)
    as_user, env = {}, None
    if user:
        entry = pwd.getpwnam(user)
        as_user = {'user': entry.pw_uid, 'group': entry.pw_gid,
                   'extra_groups': []}
        env = dict(os.environ, **_user_environment(entry))
    log_fd = _open_log(log_path)
    try:
        child = subprocess.Popen(
            list(args), stdin=subprocess.DEVNULL, stdout=log_fd,
            stderr=log_fd, cwd=cwd, env=env, start_new_session=True,
            **as_user)
    finally:
        os.close(log_fd)
    write_pid(pid_path, child.pid)
    threading.Thread(target=child.wait, daemon=True,
                     name='reap-%d' % child.pid).start()
    return child.pid


def write_pid(pid_path, pid):
    """The pid file, whole or not at all (a reader never sees half)."""
    tmp_pid = pid_path + '.tmp'
    with open(tmp_pid, 'w') as pid_file:
        pid_file.write('%d\n' % pid)
    os.rename(tmp_pid, pid_path)


def _open_log(log_path):
    return os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def redirect_output(log_path):
    """This process's stdin from /dev/null, stdout and stderr appended to
    ``log_path`` (a detached program has no terminal)."""
    log_fd = _open_log(log_path)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)


def read_pid(pid_path):
    try:
        with open(pid_path) as pid_file:
            return int(pid_file.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid):
    """Whether ``pid`` is a live (not zombie) process."""
    if not pid:
        return False
    try:
        with open('/proc/%d/stat' % pid) as stat:
            state = stat.read().rsplit(')', 1)[1].split()[0]
        return state not in ('Z', 'X')
    except (OSError, IndexError):
        return False


def is_running(pid_path):
    return pid_alive(read_pid(pid_path))


def terminate(pid, timeout=15.0):
    """SIGTERM ``pid``, then SIGKILL if it outlives ``timeout``."""
    if not pid_alive(pid):
        return True
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


def _user_environment(entry):
    return {'HOME': entry.pw_dir, 'USER': entry.pw_name,
            'LOGNAME': entry.pw_name}


def _drop_privileges(user):
    entry = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ.update(_user_environment(entry))


def _launch(options):
    if os.fork() > 0:
        # The starter reaps this first child at once.
        return
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    if options.cwd:
        os.chdir(options.cwd)
    redirect_output(options.log_file)
    write_pid(options.pid_file, os.getpid())
    if options.user:
        _drop_privileges(options.user)
    try:
        os.execvp(options.command[0], options.command)
    except OSError as error:
        os.write(2, ('cannot run %s: %s\n' % (options.command[0],
                                              error)).encode())
        os._exit(127)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--pid-file', required=True)
    parser.add_argument('--log-file', required=True)
    parser.add_argument('--cwd')
    parser.add_argument('--user')
    parser.add_argument('command', nargs=argparse.REMAINDER)
    options = parser.parse_args()
    if options.command and options.command[0] == '--':
        options.command = options.command[1:]
    if not options.command:
        parser.error('no command given')
    _launch(options)
    # Wait until the detached program wrote its pid file.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if os.path.exists(options.pid_file):
            return 0
        time.sleep(0.01)
    print('the program did not start', file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
