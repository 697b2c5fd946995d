"""Checks before an instance is built from a backup (``restorePoint``).

Everything is verified before any row or resource of the new instance
exists: the backup is visible and done (409 otherwise), it was taken from
the same datastore (400), it fits the volume (403), and every object of
its chain — the backup, its parent, up to the full backup — still exists
(404) with its recorded checksum (409).
"""

from oslo_log import log as logging

from trove.backup import models
from trove.backup import storage as control_storage
from trove.common import exception
from trove.common import states
from trove.conf import CONF

LOG = logging.getLogger(__name__)

# Longer chains mean a loop in the objects' metadata.
MAX_CHAIN = 1000


class BackupDatastoreMismatch(exception.BadRequest):
    message = ('Backup %(backup_id)s was taken from datastore %(backup)s; '
               'it cannot be restored into a %(instance)s instance.')


def restore_point(context, backup_id):
    """The backup to restore from, if it is complete (409 otherwise)."""
    row = models.load(context, backup_id)
    if row.state not in states.BackupState.USABLE_STATES:
        raise exception.BackupNotCompleteError(backup_id=row.id,
                                               state=row.state)
    return row


def default_datastore(row):
    """The ``datastore`` of a create request naming none: the backup's."""
    version = row.datastore_version
    if version is None:
        return {}
    return {'type': version.datastore.name, 'version': version.id}


def check(context, row, version, volume_size):
    """The remaining checks once the new instance's datastore version and
    volume size are known."""
    backup_version = row.datastore_version
    if backup_version is None or \
            backup_version.datastore_id != version.datastore_id:
        raise BackupDatastoreMismatch(
            backup_id=row.id,
            backup=backup_version.datastore.name if backup_version
            else 'unknown', instance=version.datastore.name)
    if volume_size is not None and row.size and row.size > volume_size:
        raise exception.BackupTooLarge(backup_size=row.size,
                                       disk_size=volume_size)
    verify_objects(context, row)


def verify_objects(context, row):
    """Every object of the backup's chain exists with its checksum."""
    if not row.location:
        raise exception.BackupFileNotFound(location='(none)')
    storage = control_storage.for_location(context, row.location,
                                           row.storage_driver)
    location, checksum = row.location, row.checksum
    seen = set()
    while location:
        if location in seen or len(seen) >= MAX_CHAIN:
            raise exception.RestoreBackupIntegrityError(backup_id=row.id)
        seen.add(location)
        with control_storage.errors_as_api_errors(backup_id=row.id,
                                                  location=location):
            if CONF.verify_swift_checksum_on_restore:
                storage.verify(location, checksum)
            metadata = storage.metadata(location)
        location = metadata.get('parent_location')
        checksum = metadata.get('parent_checksum')
    LOG.info('Backup %s: %d object(s) verified', row.id, len(seen))
