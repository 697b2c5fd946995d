"""Where everything of one local instance lives on disk.

The instance directory is the only state of the local provider: a
restarted taskmanager (or a new driver object) finds servers, volumes,
addresses and processes again from these paths alone. This module only
names paths and creates directories; it never starts or stops anything.
"""

import json
import os
import threading

from trove.common import exception
from trove.compute import base

DIR_MODE = 0o755        # engines run as other OS users and must traverse


class InstanceLayout:
    """Paths of ``<instances_dir>/<instance_id>/``."""

    def __init__(self, instances_dir, instance_id):
        if not instance_id or os.sep in instance_id or \
                instance_id.startswith('.'):
            # An id is a path component; never let it escape instances_dir.
            raise base.ServerNotFound(server_id=instance_id)
        self.instances_dir = os.path.abspath(instances_dir)
        self.instance_id = instance_id
        self.dir = os.path.join(self.instances_dir, instance_id)

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
    def volume_dir(self):
        return self._path('volume')

    @property
    def volume_json(self):
        return self._path('volume.json')

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
    def agent_was_ready(self):
        """Written by the driver when it first sees the agent ready since
        the last (re)start, so a later death reads SHUTDOWN, not ERROR."""
        return self._path('agent.was_ready')

    @property
    def guest_out(self):
        return os.path.join(self.logs_dir, 'guestagent.out')

    @property
    def guest_log(self):
        return os.path.join(self.logs_dir, 'guestagent.log')

    def exists(self):
        return os.path.isdir(self.dir)

    def make_dirs(self, *paths):
        """Create the instance directory (and ``paths`` in it), 0755."""
        check_traversable(self.instances_dir)
        for path in (self.instances_dir, self.dir) + paths:
            if not os.path.isdir(path):
                os.makedirs(path, mode=DIR_MODE, exist_ok=True)
                os.chmod(path, DIR_MODE)


def check_traversable(path):
    """Engines run as other users when we are root: every parent of the
    instances directory must let others through, or they cannot reach
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
                           'under %s; run "chmod o+x %s" or choose another '
                           '[local] instances_dir.'
                           % (current, path, current))
        parent = os.path.dirname(current)
        if parent == current:
            return
        current = parent


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
