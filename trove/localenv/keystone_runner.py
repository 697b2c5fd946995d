"""The Keystone that ``trove-local up --keystone`` runs beside the services.

It lives in ``<state dir>/keystone`` (config, SQLite DB, fernet keys,
passwords, pid file) and is stopped by its pid on ``trove-local down``.
Starting it is idempotent: a running Keystone is reused, and the
bootstrap (projects, users, catalog) is re-applied so the database
endpoint follows the API port.
"""

import os

from trove.common import daemon
from trove.localenv import external
from trove.localenv import keystone

PID_NAME = 'keystone.pid'


def start(keystone_dir, port, api_port, other_services=(),
          withdrawn_services=()):
    """Set up, start and bootstrap Keystone; the IdentityEnvironment.

    ``other_services``: catalog entries besides the database's, as
    (name, service type, URL template) triples; ``withdrawn_services``:
    (name, service type) pairs to remove from the catalog."""
    server = keystone.KeystoneServer(keystone_dir, port)
    if server.is_running():
        running_port = _running_port(keystone_dir)
        if running_port not in (None, port):
            # One Keystone per state dir: move it to the asked port.
            server.stop()
    if not server.is_running() and external.port_in_use(port):
        raise external.ExternalServiceError(
            'port %d on 127.0.0.1 is in use; choose another with '
            '--keystone-port' % port)
    server.setup()
    server.start()
    _record_port(keystone_dir, port)
    return server.bootstrap_trove(
        'http://127.0.0.1:%d/v1.0/$(tenant_id)s' % api_port, other_services,
        withdrawn_services)


def _port_path(keystone_dir):
    return os.path.join(keystone_dir, 'serving-port')


def _record_port(keystone_dir, port):
    with open(_port_path(keystone_dir), 'w') as stored:
        stored.write('%d\n' % port)


def _running_port(keystone_dir):
    try:
        with open(_port_path(keystone_dir)) as stored:
            return int(stored.read().strip())
    except (OSError, ValueError):
        return None


def running_pid(keystone_dir):
    """Pid of the running Keystone of this state dir, or None."""
    path = os.path.join(keystone_dir, PID_NAME)
    return daemon.read_pid(path) if daemon.is_running(path) else None


def stop(keystone_dir):
    """Stop this state dir's Keystone by its pid; the pid, or None."""
    pid = running_pid(keystone_dir)
    if pid is None:
        return None
    external.stop_pid_file(os.path.join(keystone_dir, PID_NAME))
    return pid
