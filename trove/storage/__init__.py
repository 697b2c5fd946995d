"""Backup storage drivers: ``local`` (a directory) and ``swift``.

``get_storage`` builds the driver a backup names; ``driver_of`` tells a
location's driver from its form. The guest agent, the API and the
taskmanager all use these, so a backup is read, checked and deleted the
same way it was written.
"""

from trove.storage import base
from trove.storage.base import (  # noqa: F401
    ChecksumMismatch,
    ObjectNotFound,
    StorageAuthError,
    StorageError,
    StorageUnavailable,
)

DRIVERS = ('local', 'swift')


def driver_of(location):
    from trove.storage import local
    return 'local' if (location or '').startswith(local.SCHEME) else 'swift'


def get_storage(driver, swift_url=None, token=None):
    """The storage of ``driver``; Swift uses the fixed credentials of
    ``[backup_swift]`` or else ``token`` on ``swift_url``."""
    if driver == 'local':
        from trove.storage import local
        return local.LocalStorage()
    if driver == 'swift':
        from trove.storage import swift
        return swift.SwiftStorage(swift_url, token)
    raise base.StorageError('Unknown backup storage driver %r (known: %s).'
                            % (driver, ', '.join(DRIVERS)))
