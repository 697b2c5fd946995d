"""trove-local's backup storage: a directory by default, or a real Swift.

``up`` stores backups under ``DIR/backups`` (``storage_strategy =
local``). With ``--swift`` it runs a one-node Swift under ``DIR/swift``
on a port chosen once per state dir; ``down`` stops it by its pid files.
Without Keystone, Swift uses tempauth and every service and guest agent
reaches it with the ``trove:backup`` account (``[backup_swift]``). With
Keystone, Swift validates Keystone tokens and is the catalog's
``object-store``: backups go to the account of the user's project with the
user's token, as upstream does (and Horizon shows its Backups panels).
This module only returns the options to write and the catalog entry;
trove.localenv.config writes them.
"""

import os

from trove.common import daemon
from trove.localenv import external
from trove.localenv import swift

SETTINGS = 'trove-local.json'
TEMPAUTH_USER = 'trove:backup'
# (name, service type) of Swift in Keystone's catalog.
CATALOG_SERVICE = ('swift', 'object-store')


def swift_dir(state_dir):
    return os.path.join(os.path.abspath(state_dir), 'swift')


def backup_dir(state_dir):
    return os.path.join(os.path.abspath(state_dir), 'backups')


def _proxy_port(directory):
    """The proxy port of this state dir, chosen free the first time."""
    return external.remembered_port(os.path.join(directory, SETTINGS),
                                    'proxy_port')


def _server(state_dir, identity=None):
    directory = swift_dir(state_dir)
    return swift.SwiftServer(directory, _proxy_port(directory),
                             keystone=identity)


def catalog_entry(state_dir):
    """(name, service type, URL template) of Swift in Keystone's catalog."""
    return CATALOG_SERVICE + (_server(state_dir).url_template,)


def local_storage_options(state_dir):
    """Options of the directory storage, for trove.conf and guests."""
    return [('DEFAULT', 'storage_strategy', 'local'),
            ('DEFAULT', 'backup_local_dir', backup_dir(state_dir))]


def _proxy_config(server):
    try:
        with open(os.path.join(server.swift_dir, 'proxy-server.conf')) as conf:
            return conf.read()
    except OSError:
        return None


def start(state_dir, identity=None):
    """Start (or find running) the Swift of ``state_dir``, validating the
    tokens of ``identity``'s Keystone if given (else tempauth); returns
    the options making it the backup storage."""
    server = _server(state_dir, identity)
    before = _proxy_config(server)
    server.setup()
    if before != _proxy_config(server):
        # Another auth mode or another Keystone: the proxy must restart.
        server.stop()
    if not server.is_running():
        server.start()
    options = [('DEFAULT', 'storage_strategy', 'swift'),
               ('DEFAULT', 'backup_local_dir', backup_dir(state_dir))]
    if identity is not None:
        return options
    return options + [
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
