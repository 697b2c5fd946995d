"""Plumbing shared by the external OpenStack services run beside trove-local.

Keystone and Swift pin their own oslo and eventlet versions, so each lives
in a virtualenv of its own, apart from the project's: this module creates
such a virtualenv once per machine (a stamp file records what was
installed), waits for a detached server's HTTP endpoint, and talks JSON to
it. It never starts services itself and knows nothing of Trove.
"""

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from trove.common import daemon

CACHE_DIR = os.path.join(os.path.expanduser('~'), '.cache', 'trove-dev')
STAMP_NAME = '.trove-installed'
# pip on a cold machine downloads and unpacks ~100 wheels.
INSTALL_TIMEOUT = 900


class ExternalServiceError(Exception):
    """An external service could not be installed, set up or started."""


def default_venv_dir(env_var, name):
    return os.environ.get(env_var) or os.path.join(CACHE_DIR, name)


def _base_python():
    # Inside the project's venv, sys.executable is that venv's python; a
    # new venv must come from the interpreter it was made from.
    return getattr(sys, '_base_executable', None) or sys.executable


@contextlib.contextmanager
def install_lock(venv_dir):
    """One installer per venv at a time (parallel test workers share it)."""
    os.makedirs(os.path.dirname(os.path.abspath(venv_dir)), exist_ok=True)
    with open(os.path.abspath(venv_dir) + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def stamp_matches(venv_dir, packages):
    try:
        with open(os.path.join(venv_dir, STAMP_NAME)) as stamp:
            return json.load(stamp).get('packages') == list(packages)
    except (OSError, ValueError):
        return False


def ensure_venv(venv_dir, packages, timeout=INSTALL_TIMEOUT):
    """Create ``venv_dir`` with ``packages`` unless its stamp says so.

    A venv whose stamp is missing or lists other packages (an interrupted
    or older install) is rebuilt from scratch: venvs cannot be repaired
    or moved reliably. Returns the venv's bin directory.
    """
    venv_dir = os.path.abspath(venv_dir)
    bin_dir = os.path.join(venv_dir, 'bin')
    if stamp_matches(venv_dir, packages):
        return bin_dir
    with install_lock(venv_dir):
        if stamp_matches(venv_dir, packages):
            return bin_dir
        shutil.rmtree(venv_dir, ignore_errors=True)
        started = time.monotonic()
        run([_base_python(), '-m', 'venv', venv_dir], timeout=120)
        run([os.path.join(bin_dir, 'python'), '-m', 'pip', 'install', '-q',
              '--disable-pip-version-check'] + list(packages),
             timeout=timeout)
        with open(os.path.join(venv_dir, STAMP_NAME), 'w') as stamp:
            json.dump({'packages': list(packages),
                       'seconds': round(time.monotonic() - started, 1)},
                      stamp)
    return bin_dir


def run(args, timeout, env=None, cwd=None):
    try:
        result = subprocess.run(args, capture_output=True, text=True,
                                timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired as error:
        raise ExternalServiceError('%s did not finish within %ss'
                                   % (' '.join(args[:3]), timeout)) from error
    except OSError as error:
        raise ExternalServiceError('cannot run %s: %s'
                                   % (args[0], error)) from error
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines()
        raise ExternalServiceError('%s failed (exit %d): %s'
                                   % (' '.join(args[:3]), result.returncode,
                                      '\n'.join(output[-15:])))
    return result.stdout



def free_loopback_port():
    """A port nothing listens on right now on 127.0.0.1 (the OS picks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def port_in_use(port):
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(('127.0.0.1', port)) == 0


def remembered_port(settings_path, key='port', reclaim=False):
    """The port stored under ``key`` in the JSON file ``settings_path``,
    chosen free and stored the first time: a service keeps its port (and
    so its catalog URL) across restarts of its state dir. With
    ``reclaim`` (the caller's server is not running), a stored port that
    another program took meanwhile is replaced by a new free one."""
    try:
        with open(settings_path) as stored:
            settings = json.load(stored)
    except (OSError, ValueError):
        settings = {}
    if not isinstance(settings, dict):
        settings = {}
    try:
        port = int(settings[key])
        if not (reclaim and port_in_use(port)):
            return port
    except (KeyError, TypeError, ValueError):
        pass
    settings[key] = free_loopback_port()
    os.makedirs(os.path.dirname(os.path.abspath(settings_path)),
                exist_ok=True)
    with open(settings_path, 'w') as stored:
        json.dump(settings, stored)
    return settings[key]


def log_tail(path, lines=20):
    try:
        with open(path, 'rb') as log:
            content = log.read().splitlines()[-lines:]
    except OSError:
        return ''
    return b'\n'.join(content).decode('utf-8', 'replace')


def wait_until(predicate, timeout, what, pid_path, log_path):
    """Poll ``predicate`` until true; fail early when the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not daemon.is_running(pid_path):
            raise ExternalServiceError('%s: the server exited during start:'
                                       '\n%s' % (what, log_tail(log_path)))
        if predicate():
            return
        time.sleep(0.1)
    raise ExternalServiceError('%s: no answer within %ss:\n%s'
                               % (what, timeout, log_tail(log_path)))


def http_answers(url, timeout=5.0):
    """Whether ``url`` answers with any HTTP status within ``timeout``."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_for_http(url, pid_path, log_path, timeout=60.0):
    """Wait until ``url`` answers with any HTTP status."""
    wait_until(lambda: http_answers(url), timeout, url, pid_path, log_path)


def read_text(path):
    """A small file's stripped content, or None when it cannot be read."""
    try:
        with open(path) as stored:
            return stored.read().strip()
    except OSError:
        return None


def stop_pid_file(pid_path, timeout=15.0):
    """Stop the process a pid file names; True when it is gone."""
    pid = daemon.read_pid(pid_path)
    stopped = daemon.terminate(pid, timeout=timeout)
    if stopped and os.path.exists(pid_path):
        os.unlink(pid_path)
    return stopped


class HttpError(Exception):
    def __init__(self, status, body, method, url):
        super().__init__('%s %s -> %d: %s' % (method, url, status, body[:300]))
        self.status = status
        self.body = body


def http_json(method, url, body=None, token=None, timeout=30.0):
    """One JSON request; returns (status, headers, decoded body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header('Accept', 'application/json')
    if data is not None:
        request.add_header('Content-Type', 'application/json')
    if token:
        request.add_header('X-Auth-Token', token)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as error:
        raise HttpError(error.code, error.read().decode('utf-8', 'replace'),
                        method, url) from error
    return status, headers, (json.loads(raw) if raw.strip() else None)
