"""Throwaway engines for reading their catalogues: a temp directory of
their own, a unix socket only (no TCP port), run as the engine's OS user
when we are root, stopped by pid and removed afterwards."""

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

START_TIMEOUT = 120


def engine_user(name):
    """The OS user the engine runs as: ``name`` when we are root."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam(name)
    return name


@contextlib.contextmanager
def work_dir(owner):
    path = tempfile.mkdtemp(prefix='trove-rules-')
    try:
        if owner:
            shutil.chown(path, owner, owner)
        os.chmod(path, 0o755)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def server(command, log_path, user):
    with open(log_path, 'ab') as log:
        process = subprocess.Popen(command, stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL, user=user,
                                   start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT if 'postgres' in command[0]
                                else signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def connect_until(connect, process, log_path):
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return connect()
        except Exception as error:
            if process.poll() is not None or time.monotonic() > deadline:
                with open(log_path, errors='replace') as log:
                    raise RuntimeError('the engine did not start: %s\n%s'
                                       % (error, log.read()[-3000:])) \
                        from error
            time.sleep(0.2)
