"""The backup storage as the control plane uses it (API, taskmanager).

The storage drivers live with the guest agent (trove.guestagent.backup
.storage) so a backup is read and deleted exactly as it was written; this
module gives them the caller's Swift endpoint and token, and turns their
failures into API errors.
"""

import contextlib

from trove import storage as backup_storage
from trove.common import exception
from trove.conf import CONF

_INTERFACES = {'publicURL': 'public', 'internalURL': 'internal',
               'adminURL': 'admin'}


def _endpoint_url(endpoint, endpoint_type):
    """The URL of a catalog endpoint (Keystone v2 or v3 format)."""
    if endpoint.get(endpoint_type):
        return endpoint[endpoint_type]
    interface = _INTERFACES.get(endpoint_type, endpoint_type)
    if endpoint.get('interface') == interface:
        return endpoint.get('url')
    return None


def swift_url(context):
    """The caller's Swift account URL: ``swift_url`` + project id, or the
    object-store endpoint of the caller's service catalog (None if
    neither is there)."""
    if CONF.swift_url:
        return CONF.swift_url + (context.project_id or '')
    region = CONF.service_credentials.region_name
    for service in getattr(context, 'service_catalog', None) or []:
        if service.get('type') != CONF.swift_service_type:
            continue
        urls = []
        for endpoint in service.get('endpoints') or []:
            url = _endpoint_url(endpoint, CONF.swift_endpoint_type)
            if url:
                urls.append((endpoint.get('region_id')
                             or endpoint.get('region'), url))
        for endpoint_region, url in urls:
            if endpoint_region in (None, region):
                return url
        if urls:
            return urls[0][1]
    return None


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
