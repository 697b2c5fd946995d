"""Where the local provider's servers and volumes live on disk.

Server directories (``[local] instances_dir``) and volume directories
(``[local] volumes_dir``) are the only state of the provider: a
restarted taskmanager (or a new driver object) finds servers, volumes,
addresses and processes again from these paths alone. This module only
names paths and creates directories; it never starts or stops anything.
"""

import contextlib
import fcntl
import json
import os
import threading

from trove.common import exception
from trove.compute import base

DIR_MODE = 0o755        # engines run as other OS users and must traverse


class ServerLayout:
    """Paths of a server's directory ``<instances_dir>/<server_id>/``."""

    def __init__(self, instances_dir, server_id):
        _check_id(server_id, base.ServerNotFound(server_id=server_id))
        self.instances_dir = os.path.abspath(instances_dir)
        self.server_id = server_id
        self.dir = os.path.join(self.instances_dir, server_id)

    def _path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def etc_dir(self):
        return self._path('etc')

    @property
    def run_dir(self):
        return self._path('run')

    @property
    def logs_dir(self):
        return self._path('logs')

    @property
    def server_json(self):
        return self._path('server.json')

    @property
    def guest_info_conf(self):
        return os.path.join(self.etc_dir, 'guest_info.conf')

    @property
    def guest_conf(self):
        return os.path.join(self.etc_dir, 'trove-guestagent.conf')

    @property
    def guest_pid(self):
        return os.path.join(self.run_dir, 'guest.pid')

    @property
    def agent_ready(self):
        """Written by the agent once it serves RPC (removed on clean exit)."""
        return os.path.join(self.run_dir, 'agent.ready')

    @property
    def agent_served(self):
        """Written by the agent beside ``agent.ready`` and kept when it
        exits: removed by the driver before each start, so a later death
        reads SHUTDOWN (it had served) rather than ERROR."""
        return os.path.join(self.run_dir, 'agent.served')

    @property
    def guest_out(self):
        return os.path.join(self.logs_dir, 'guestagent.out')

    @property
    def guest_log(self):
        return os.path.join(self.logs_dir, 'guestagent.log')

    def exists(self):
        return os.path.isdir(self.dir)

    def make_dirs(self, *paths):
        """Create the server directory (and ``paths`` in it), 0755."""
        _make_dirs(self.instances_dir, (self.dir,) + paths)


class VolumeLayout:
    """Paths of a volume's directory ``<volumes_dir>/<volume_id>/``: its
    record ``volume.json`` (size, type, owner, attachment) and the data
    under ``mount/``. The directory is the volume's "device": the guest's
    directory volume driver reads the size from it."""

    def __init__(self, volumes_dir, volume_id):
        _check_id(volume_id, base.VolumeNotFound(volume_id=volume_id))
        self.volumes_dir = os.path.abspath(volumes_dir)
        self.volume_id = volume_id
        self.dir = os.path.join(self.volumes_dir, volume_id)

    @property
    def volume_json(self):
        return os.path.join(self.dir, 'volume.json')

    @property
    def mount_dir(self):
        return os.path.join(self.dir, 'mount')

    def exists(self):
        return os.path.exists(self.volume_json)

    def make_dirs(self):
        _make_dirs(self.volumes_dir, (self.dir, self.mount_dir))


def _check_id(resource_id, not_found):
    # An id is a path component; never let it escape its directory.
    if not resource_id or not isinstance(resource_id, str) or \
            os.sep in resource_id or resource_id.startswith('.'):
        raise not_found


def _make_dirs(root, paths):
    check_traversable(root)
    for path in (root,) + tuple(paths):
        if not os.path.isdir(path):
            os.makedirs(path, mode=DIR_MODE, exist_ok=True)
            os.chmod(path, DIR_MODE)


def child_dirs(root):
    """The resource directories under ``root`` (dot entries skipped)."""
    if not os.path.isdir(root):
        return []
    return sorted(os.path.join(root, name) for name in os.listdir(root)
                  if not name.startswith('.')
                  and os.path.isdir(os.path.join(root, name)))


def check_traversable(path):
    """Engines run as other users when we are root: every parent of the
    instances and volumes directories must let others through, or they cannot reach
    their data. Raises ComputeError saying what to chmod."""
    if os.geteuid() != 0:
        return      # engines run as this very user
    path = os.path.abspath(path)
    current = path
    while True:
        if os.path.isdir(current):
            mode = os.stat(current).st_mode
            if not mode & 0o001:
                raise exception.ComputeError(
                    reason='%s is not traversable by other users, so '
                           'database engines (which run as unprivileged '
                           'users) cannot reach their instance directories '
                           'under %s; run "chmod o+x %s" or choose other '
                           '[local] instances_dir and volumes_dir.'
                           % (current, path, current))
        parent = os.path.dirname(current)
        if parent == current:
            return
        current = parent


@contextlib.contextmanager
def file_lock(directory, name='.lock'):
    """An exclusive ``flock`` on ``directory/name`` (threads and processes
    alike), created with the directory when missing."""
    os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    fd = os.open(os.path.join(directory, name), os.O_RDWR | os.O_CREAT,
                 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def read_json(path):
    try:
        with open(path) as source:
            return json.load(source)
    except FileNotFoundError:
        return None
    except ValueError:
        # A half-written file never exists (writes are atomic); a corrupt
        # one is reported rather than silently ignored.
        raise exception.ComputeError(
            reason='%s is not valid JSON' % path) from None


def write_json(path, values, mode=0o644):
    """Replace ``path`` atomically, so readers never see half a file."""
    write_text(path, json.dumps(values, indent=2, sort_keys=True) + '\n',
               mode=mode)


def write_text(path, text, mode=0o644):
    tmp_path = '%s.tmp.%d.%d' % (path, os.getpid(), threading.get_ident())
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'w') as target:
        target.write(text)
    os.chmod(tmp_path, mode)
    os.rename(tmp_path, path)
