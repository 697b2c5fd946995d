"""Backups in a directory of this machine: the embedded default.

``<backup_local_dir>/<container>/<name>`` holds the backup and
``<name>.meta.json`` its metadata; the location is ``file://`` plus the
absolute path and the checksum the file's MD5. A backup is written as
``<name>.partial`` and renamed when complete, so a half-written file is
never taken for a backup. Every location is checked to lie inside
``backup_local_dir``: a location from a request or a metadata file can
never make a service read or delete anything else.
"""

import errno
import json
import os

from oslo_log import log as logging

from trove.conf import CONF
from trove.storage import base

LOG = logging.getLogger(__name__)

SCHEME = 'file://'
META_SUFFIX = '.meta.json'
PARTIAL_SUFFIX = '.partial'
DIR_MODE = 0o750
FILE_MODE = 0o640


def _safe_name(name, what):
    if not name or name in ('.', '..') or '/' in name or '\x00' in name:
        raise base.StorageError('Invalid backup %s %r.' % (what, name))
    return name


class LocalStorage(base.BackupStorage):

    driver = 'local'

    def __init__(self, root=None):
        self.root = os.path.realpath(root or CONF.backup_local_dir)
        self.chunk_size = CONF.backup_chunk_size

    def path_of(self, location):
        """The file of a location; ObjectNotFound outside the root."""
        if not location or not location.startswith(SCHEME):
            raise base.ObjectNotFound('%r is not a local backup location'
                                      % location)
        path = os.path.realpath(location[len(SCHEME):])
        if not path.startswith(self.root + os.sep):
            raise base.ObjectNotFound(
                'Backup location %s is outside the backup directory %s.'
                % (location, self.root))
        return path

    def check_access(self):
        try:
            os.makedirs(self.root, mode=DIR_MODE, exist_ok=True)
        except OSError as error:
            raise base.StorageUnavailable(
                'The backup directory %s cannot be created: %s'
                % (self.root, error)) from error
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise base.StorageUnavailable('The backup directory %s is not '
                                          'writable.' % self.root)

    def save(self, container, name, stream, finish):
        directory = os.path.join(self.root, _safe_name(container,
                                                       'container'))
        path = os.path.join(directory, _safe_name(name, 'name'))
        partial = path + PARTIAL_SUFFIX
        os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
        hasher = base.md5()
        size = 0
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT |
                                 os.O_TRUNC, FILE_MODE)
            with os.fdopen(descriptor, 'wb') as target:
                for chunk in base.read_chunks(stream, self.chunk_size):
                    hasher.update(chunk)
                    size += len(chunk)
                    target.write(chunk)
            if not size:
                raise base.StorageError('The backup stream was empty.')
            metadata = finish()
            checksum = hasher.hexdigest()
            self._write_metadata(path, dict(metadata or {},
                                            checksum=checksum))
            os.rename(partial, path)
        except BaseException as error:
            for leftover in (partial, path + META_SUFFIX):
                _remove(leftover)
            if isinstance(error, OSError) and error.errno == errno.ENOSPC:
                raise base.StorageFull(
                    'The backup store is full (no space left on its '
                    'filesystem); nothing of this backup was kept. Delete '
                    'old backups or ask an administrator to give the store '
                    'more room, then take the backup again.') from error
            raise
        LOG.info('Stored %s: %d bytes, checksum %s', path, size, checksum)
        return base.SavedObject(SCHEME + path, checksum, size)

    @staticmethod
    def _write_metadata(path, metadata):
        descriptor = os.open(path + META_SUFFIX, os.O_WRONLY | os.O_CREAT |
                             os.O_TRUNC, FILE_MODE)
        with os.fdopen(descriptor, 'w') as target:
            json.dump({k: str(v) for k, v in metadata.items()
                       if v is not None}, target, indent=1, sort_keys=True)

    def _open(self, location):
        path = self.path_of(location)
        try:
            return open(path, 'rb')
        except FileNotFoundError:
            raise base.ObjectNotFound('Backup file %s does not exist.'
                                      % path) from None
        except OSError as error:
            raise base.StorageError('Backup file %s cannot be read: %s'
                                    % (path, error)) from error

    def _file_checksum(self, location):
        hasher = base.md5()
        with self._open(location) as source:
            for chunk in base.read_chunks(source, 1024 * 1024):
                hasher.update(chunk)
        return hasher.hexdigest()

    def checksum(self, location):
        return self._file_checksum(location)

    def verify(self, location, checksum):
        actual = self._file_checksum(location)
        if checksum and actual != checksum:
            raise base.ChecksumMismatch(
                'Backup file %s has checksum %s, not the recorded %s.'
                % (self.path_of(location), actual, checksum))

    def load(self, location, checksum):
        hasher = base.md5()
        with self._open(location) as source:
            for chunk in base.read_chunks(source, self.chunk_size):
                hasher.update(chunk)
                yield chunk
        if checksum and hasher.hexdigest() != checksum:
            raise base.ChecksumMismatch(
                'The content of %s does not match its checksum %s.'
                % (self.path_of(location), checksum))

    def metadata(self, location):
        path = self.path_of(location)
        if not os.path.exists(path):
            raise base.ObjectNotFound('Backup file %s does not exist.'
                                      % path)
        try:
            with open(path + META_SUFFIX) as source:
                return json.load(source)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise base.StorageError('The metadata of %s cannot be read: %s'
                                    % (path, error)) from error

    def delete(self, location):
        path = self.path_of(location)
        existed = os.path.exists(path)
        for leftover in (path, path + META_SUFFIX, path + PARTIAL_SUFFIX):
            _remove(leftover)
        if existed:
            LOG.info('Deleted backup file %s', path)


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
