"""Starting, finding and stopping the control-plane processes."""

import os
import sys
import time
import urllib.error
import urllib.request

from trove.common import daemon

SERVICES = ('trove-conductor', 'trove-taskmanager', 'trove-api')


def _script(name):
    """The console script installed next to this Python."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.path.exists(candidate) else name


def pid_path(config, name):
    return os.path.join(config.run_dir, name + '.pid')


def start(config, name):
    """Start a service unless it already runs; returns its pid."""
    path = pid_path(config, name)
    pid = daemon.read_pid(path)
    if daemon.pid_alive(pid):
        return pid
    log_path = os.path.join(config.log_dir, name + '.out')
    return daemon.spawn([_script(name), '--config-file', config.trove_conf],
                        path, log_path, cwd=config.state_dir)


def stop(config, name):
    path = pid_path(config, name)
    pid = daemon.read_pid(path)
    stopped = daemon.terminate(pid)
    if stopped and os.path.exists(path):
        os.unlink(path)
    return pid


def status(config):
    return {name: daemon.read_pid(pid_path(config, name))
            if daemon.is_running(pid_path(config, name)) else None
            for name in SERVICES}


def wait_for_api(config, timeout=60):
    """Wait until the API answers its version document."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        if not daemon.is_running(pid_path(config, 'trove-api')):
            raise RuntimeError('trove-api exited; see %s'
                               % os.path.join(config.log_dir,
                                              'trove-api.out'))
        try:
            with urllib.request.urlopen(config.api_url + '/', timeout=5):
                return
        except (urllib.error.URLError, OSError) as error:
            last_error = error
            time.sleep(0.2)
    raise RuntimeError('trove-api did not answer at %s: %s'
                       % (config.api_url, last_error))
