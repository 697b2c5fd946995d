"""trove-local's backup storage: a directory by default, or a real Swift.

``up`` stores backups under ``DIR/backups`` (``storage_strategy =
local``). With ``--swift`` it runs a one-node Swift (tempauth) under
``DIR/swift`` on a port chosen once per state dir, and points every
service and guest agent at it with the ``trove:backup`` account
(``[backup_swift]``); ``down`` stops it by its pid files. This module
only returns the options to write; trove.localenv.config writes them.
"""

import json
import os

from trove.common import daemon
from trove.localenv import external
from trove.localenv import swift

SETTINGS = 'trove-local.json'
TEMPAUTH_USER = 'trove:backup'


def swift_dir(state_dir):
    return os.path.join(os.path.abspath(state_dir), 'swift')


def backup_dir(state_dir):
    return os.path.join(os.path.abspath(state_dir), 'backups')


def _proxy_port(directory):
    """The proxy port of this state dir, chosen free the first time."""
    path = os.path.join(directory, SETTINGS)
    try:
        with open(path) as stored:
            return int(json.load(stored)['proxy_port'])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    port = external.free_loopback_port()
    os.makedirs(directory, exist_ok=True)
    with open(path, 'w') as stored:
        json.dump({'proxy_port': port}, stored)
    return port


def _server(state_dir):
    directory = swift_dir(state_dir)
    return swift.SwiftServer(directory, _proxy_port(directory))


def local_storage_options(state_dir):
    """Options of the directory storage, for trove.conf and guests."""
    return [('DEFAULT', 'storage_strategy', 'local'),
            ('DEFAULT', 'backup_local_dir', backup_dir(state_dir))]


def start(state_dir):
    """Start (or find running) the Swift of ``state_dir``; returns the
    options making it the backup storage."""
    server = _server(state_dir)
    server.setup()
    if not server.is_running():
        server.start()
    return [('DEFAULT', 'storage_strategy', 'swift'),
            ('DEFAULT', 'backup_local_dir', backup_dir(state_dir)),
            ('backup_swift', 'auth_url', server.auth_url),
            ('backup_swift', 'auth_version', '1'),
            ('backup_swift', 'user', TEMPAUTH_USER),
            ('backup_swift', 'key', server.tempauth_users[TEMPAUTH_USER])]


def running_pids(state_dir):
    """Pids of the Swift processes of ``state_dir`` that are alive."""
    server = _server(state_dir) if os.path.isdir(swift_dir(state_dir)) \
        else None
    if server is None or not os.path.isdir(server.run_dir):
        return []
    pids = [daemon.read_pid(os.path.join(server.run_dir, name))
            for name in sorted(os.listdir(server.run_dir))
            if name.endswith('.pid')]
    return [pid for pid in pids if daemon.pid_alive(pid)]


def stop(state_dir):
    """Stop whatever runs of the Swift of ``state_dir``; the pids that
    were running."""
    pids = running_pids(state_dir)
    if pids:
        _server(state_dir).stop()
    return pids
