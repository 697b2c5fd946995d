"""Published guest logs in the backup store, named as upstream.

A log of instance I is published under ``<container>/<I>/<manager>-<log>/``
as segments ``log-<UTC time>`` (each with its line count as metadata) and
a metafile ``<I>/<manager>-<log>_metafile`` describing the log. In the
local store (a directory) the container is a directory under
``backup_local_dir`` and the object names are relative paths in it; every
path is checked to stay inside that directory.
"""

import json
import os
import shutil

from trove.conf import CONF
from trove.storage import base

DIR_MODE = 0o750
FILE_MODE = 0o640


def _segments_ok(name):
    parts = name.split('/')
    return name and not name.startswith('/') and all(
        part not in ('', '.', '..') and '\x00' not in part for part in parts)


class LocalLogStore:
    """Log objects in the local store."""

    driver = 'local'

    def __init__(self, root=None, container=None):
        self.root = os.path.realpath(root or CONF.backup_local_dir)
        self.container = container or CONF.guest_log_container_name

    def _path(self, name):
        if not _segments_ok(name) or not _segments_ok(self.container):
            raise base.StorageError('Invalid log object name %r.' % name)
        path = os.path.realpath(os.path.join(self.root, self.container,
                                             name))
        if not path.startswith(self.root + os.sep):
            raise base.StorageError('Log object %s is outside %s.'
                                    % (name, self.root))
        return path

    def location(self, name):
        return 'file://' + self._path(name)

    def put(self, name, data, metadata=None):
        """Write one object (bytes) with its metadata; returns its
        location."""
        path = self._path(name)
        os.makedirs(os.path.dirname(path), mode=DIR_MODE, exist_ok=True)
        for target, contents in ((path + '.meta.json', json.dumps(
                {k: str(v) for k, v in (metadata or {}).items()}).encode()),
                                 (path, data)):
            descriptor = os.open(target + '.partial',
                                 os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                 FILE_MODE)
            with os.fdopen(descriptor, 'wb') as out:
                out.write(contents)
            os.rename(target + '.partial', target)
        return 'file://' + path

    def list(self, prefix):
        """Names of the objects under ``prefix`` (a directory), sorted."""
        directory = self._path(prefix.rstrip('/'))
        if not os.path.isdir(directory):
            return []
        return sorted(prefix + entry for entry in os.listdir(directory)
                      if not entry.endswith(('.meta.json', '.partial')))

    def read(self, name):
        with open(self._path(name), 'rb') as source:
            return source.read()

    def delete_prefix(self, prefix):
        directory = self._path(prefix.rstrip('/'))
        shutil.rmtree(directory, ignore_errors=True)

    def delete(self, name):
        path = self._path(name)
        for leftover in (path, path + '.meta.json'):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass


def get_log_store():
    """The store guest logs are published into: the local one. (Swift
    publishing is not implemented here; see doc/operations.md.)"""
    if CONF.storage_strategy != 'local':
        raise base.StorageUnavailable(
            'Publishing guest logs needs storage_strategy = local; the %s '
            'store is not supported for logs yet.' % CONF.storage_strategy)
    return LocalLogStore()
