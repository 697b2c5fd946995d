"""Starting, finding and stopping the control-plane processes.

A deployment runs one or more processes of each kind: ``trove-conductor``
and ``trove-taskmanager`` share the work through the broker and the
control database; every ``trove-api`` beyond the first serves the same
deployment on a port of its own (``<state dir>/trove-api-N.conf`` sets
it). Processes are named ``trove-taskmanager``, ``trove-taskmanager-2``...
with a pid file each under ``<state dir>/run``.
"""

import glob
import os
import sys
import time
import urllib.error
import urllib.request

from trove.common import daemon

KINDS = ('trove-conductor', 'trove-taskmanager', 'trove-api')
# What trove-local status shows for a deployment of one of each.
SERVICES = KINDS


def _script(name):
    """The console script installed next to this Python."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.path.exists(candidate) else name


def kind_of(name):
    """``trove-taskmanager`` for ``trove-taskmanager-2``."""
    base, _sep, number = name.rpartition('-')
    return base if number.isdigit() and base in KINDS else name


def names(kind, count):
    """The process names of ``count`` processes of ``kind``."""
    return [kind] + ['%s-%d' % (kind, n) for n in range(2, count + 1)]


def wanted(config):
    """Every process name the deployment's config asks for, in start
    order (conductors before taskmanagers before APIs)."""
    counts = {'trove-conductor': config.conductors,
              'trove-taskmanager': config.taskmanagers,
              'trove-api': 1 + len(config.extra_api_ports)}
    return [name for kind in KINDS for name in names(kind, counts[kind])]


def pid_path(config, name):
    return os.path.join(config.run_dir, name + '.pid')


def api_config_path(config, name):
    return os.path.join(config.state_dir, name + '.conf')


def log_path(config, name):
    return os.path.join(config.log_dir, name + '.log')


def _command(config, name):
    # A log of its own: two processes of a kind would share the name.
    command = [_script(kind_of(name)), '--config-file', config.trove_conf,
               '--log-file', log_path(config, name)]
    if kind_of(name) == 'trove-api' and name != 'trove-api':
        command += ['--config-file', api_config_path(config, name)]
    return command


def start(config, name):
    """Start a process unless it already runs; returns its pid."""
    path = pid_path(config, name)
    pid = daemon.read_pid(path)
    if daemon.pid_alive(pid):
        return pid
    log_path = os.path.join(config.log_dir, name + '.out')
    return daemon.spawn(_command(config, name), path, log_path,
                        cwd=config.state_dir)


def stop(config, name):
    path = pid_path(config, name)
    pid = daemon.read_pid(path)
    stopped = daemon.terminate(pid)
    if stopped and os.path.exists(path):
        os.unlink(path)
    return pid


def known(config):
    """Every process name with a pid file (running or not)."""
    found = [os.path.basename(path)[:-len('.pid')] for path in
             glob.glob(os.path.join(config.run_dir, 'trove-*.pid'))]
    return [name for name in found if kind_of(name) in KINDS]


def status(config):
    """{name: pid or None} of the wanted processes and any other that
    runs."""
    result = {}
    for name in wanted(config) + sorted(set(known(config))
                                        - set(wanted(config))):
        pid = daemon.read_pid(pid_path(config, name))
        result[name] = pid if daemon.pid_alive(pid) else None
    return result


def stop_all(config):
    """Stop every process of the deployment, APIs first; returns
    [(name, pid)] of those stopped."""
    order = {kind: index for index, kind in enumerate(reversed(KINDS))}
    stopped = []
    for name in sorted(known(config), key=lambda n: order[kind_of(n)]):
        pid = stop(config, name)
        if pid:
            stopped.append((name, pid))
    return stopped


def wait_for_api(config, timeout=60, name='trove-api', url=None):
    """Wait until the API answers its version document."""
    deadline = time.monotonic() + timeout
    url = url or config.api_url
    last_error = None
    while time.monotonic() < deadline:
        if not daemon.is_running(pid_path(config, name)):
            raise RuntimeError('%s exited; see %s'
                               % (name, os.path.join(config.log_dir,
                                                     name + '.out')))
        try:
            with urllib.request.urlopen(url + '/', timeout=5):
                return
        except (urllib.error.URLError, OSError) as error:
            last_error = error
            time.sleep(0.2)
    raise RuntimeError('%s did not answer at %s: %s'
                       % (name, url, last_error))
