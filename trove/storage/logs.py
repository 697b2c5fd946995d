"""Published guest logs in the backup store (local or Swift), as upstream
names them.

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


class SwiftLogStore:
    """Log objects in Swift, with upstream's names and headers: each
    segment carries ``X-Object-Meta-Lines`` and, with
    ``guest_log_expiry``, ``X-Delete-After``."""

    driver = 'swift'

    def __init__(self, swift_url=None, token=None, container=None):
        from trove.storage import swift
        self.storage = swift.SwiftStorage(swift_url, token)
        self.container = container or CONF.guest_log_container_name
        self._container_ready = False

    def _call(self, what, function, *args, **kwargs):
        return self.storage._call(what, function, *args, **kwargs)

    def put(self, name, data, metadata=None):
        connection = self.storage.connection
        if not self._container_ready:
            self._call('Could not create container %s' % self.container,
                       connection.put_container, self.container)
            self._container_ready = True
        headers = base.metadata_headers(metadata or {})
        if CONF.guest_log_expiry:
            headers['X-Delete-After'] = str(CONF.guest_log_expiry)
        self._call('Could not store %s' % name, connection.put_object,
                   self.container, name, contents=data, headers=headers)
        return '%s/%s/%s' % (self.storage.account_url(), self.container,
                             name)

    def list(self, prefix):
        try:
            _headers, objects = self.storage.connection.get_container(
                self.container, prefix=prefix, full_listing=True)
        except Exception as error:
            if getattr(error, 'http_status', None) == 404:
                return []
            raise base.StorageUnavailable('Could not list %s: %s'
                                          % (prefix, error)) from error
        return sorted(obj['name'] for obj in objects)

    def read(self, name):
        _headers, data = self._call(
            'Could not read %s' % name, self.storage.connection.get_object,
            self.container, name)
        return data

    def delete(self, name):
        self.storage._quiet_delete(self.storage.connection, self.container,
                                   name)

    def delete_prefix(self, prefix):
        for name in self.list(prefix):
            self.delete(name)


def get_log_store(context=None):
    """The store guest logs are published into: the backup store's kind
    (``storage_strategy``). Swift uses ``[backup_swift]`` credentials or
    the caller's token and object-store endpoint, as backups do."""
    if CONF.storage_strategy == 'local':
        return LocalLogStore()
    if CONF.storage_strategy == 'swift':
        from trove.storage import catalog
        return SwiftLogStore(
            swift_url=catalog.swift_url(context)
            if context is not None else None,
            token=getattr(context, 'auth_token', None))
    raise base.StorageUnavailable('Unknown storage_strategy %s.'
                                  % CONF.storage_strategy)
