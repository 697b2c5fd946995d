"""The backup storage as the control plane uses it (API, taskmanager).

The storage drivers live with the guest agent (trove.guestagent.backup
.storage) so a backup is read and deleted exactly as it was written; this
module gives them the caller's Swift endpoint and token, and turns their
failures into API errors.
"""

import contextlib

from trove import storage as backup_storage
from trove.storage import catalog
from trove.common import exception

# Where the caller's Swift is; shared with the guest's log store.
swift_url = catalog.swift_url


def for_driver(context, driver):
    """The storage of ``driver`` with the caller's Swift credentials."""
    with errors_as_api_errors():
        if driver == 'swift':
            return backup_storage.get_storage(
                driver, swift_url=swift_url(context),
                token=getattr(context, 'auth_token', None))
        return backup_storage.get_storage(driver)


def for_location(context, location, driver=None):
    return for_driver(context, driver or
                      backup_storage.driver_of(location))


@contextlib.contextmanager
def errors_as_api_errors(backup_id=None, location=None):
    """Storage failures as the API errors upstream answers with."""
    try:
        yield
    except backup_storage.ObjectNotFound as error:
        raise exception.BackupFileNotFound(
            location=location or error.message) from error
    except backup_storage.ChecksumMismatch as error:
        raise exception.RestoreBackupIntegrityError(
            backup_id=backup_id or location) from error
    except backup_storage.StorageAuthError as error:
        raise exception.Unauthorized(
            'The backup storage refused the credentials: %s'
            % error.message) from error
    except backup_storage.StorageError as error:
        raise exception.ServiceUnavailable(
            reason='the backup storage failed: %s' % error.message) \
            from error
