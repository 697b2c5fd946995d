"""What every backup storage driver offers, and its failures.

A backup is one logical object: a name in a container (a Swift container,
or a sub-directory of the local storage) with metadata (datastore,
version, LSN or WAL positions, parent location and checksum) and a
checksum that the control plane stores and compares again before and
during a restore. ``location`` strings identify objects across services:
``<swift account URL>/<container>/<name>`` or ``file://<path>``.

Drivers stream: ``save`` reads the backup from a pipe in chunks and
``load`` yields chunks, so no full copy of a backup ever sits on the
guest's disk. This package is shared by the guest agent, the API and the
taskmanager; it must not import anything of the control plane.
"""

import abc
import dataclasses
import hashlib

from trove.common import failures

META_PREFIX = 'x-object-meta-'


class StorageError(failures.ReportedFailure):
    """The backup storage failed or refused an operation."""


class ObjectNotFound(StorageError):
    """A backup object (or one of its segments) does not exist."""


class ChecksumMismatch(StorageError):
    """A backup object's content no longer has its recorded checksum."""


class StorageAuthError(StorageError):
    """The storage refused the credentials."""


class StorageUnavailable(StorageError):
    """The storage could not be reached."""


class StorageFull(StorageError):
    """The storage has no room left for the object."""


@dataclasses.dataclass
class SavedObject:
    location: str
    checksum: str
    size: int


def md5():
    # MD5 is the storage's own checksum (Swift ETags), not a security
    # measure.
    return hashlib.md5(usedforsecurity=False)


def metadata_headers(metadata):
    """Swift-style headers of a metadata dict: parent_location becomes
    X-Object-Meta-Parent-Location."""
    return {'X-Object-Meta-' + key.replace('_', '-').title(): str(value)
            for key, value in (metadata or {}).items()
            if value is not None}


def metadata_from_headers(headers):
    return {key[len(META_PREFIX):].replace('-', '_'): value
            for key, value in (headers or {}).items()
            if key.lower().startswith(META_PREFIX)}


def read_chunks(stream, chunk_size):
    """Chunks of ``stream`` until it ends."""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            return
        yield chunk


class BackupStorage(abc.ABC):
    """One storage account (a Swift account, a local directory)."""

    driver = None

    @abc.abstractmethod
    def save(self, container, name, stream, finish):
        """Store everything ``stream`` yields as ``container/name``.

        ``finish()`` is called once the stream ended; it returns the
        object's metadata (or raises, and nothing is kept). Returns a
        SavedObject; on any failure whatever was written is removed.
        """

    @abc.abstractmethod
    def load(self, location, checksum):
        """Yield the object's bytes; ChecksumMismatch once the content
        turns out different from ``checksum`` (None: not checked)."""

    @abc.abstractmethod
    def verify(self, location, checksum):
        """ObjectNotFound / ChecksumMismatch unless the object (every part
        of it) is there with ``checksum``."""

    @abc.abstractmethod
    def metadata(self, location):
        """The object's metadata dict; ObjectNotFound if it is gone."""

    @abc.abstractmethod
    def checksum(self, location):
        """The checksum the storage reports for the object."""

    @abc.abstractmethod
    def delete(self, location):
        """Remove the object and its parts; a missing object is fine."""

    def check_access(self):  # noqa: B027 (most drivers need no check)
        """Raise a StorageError unless the storage can be used."""
