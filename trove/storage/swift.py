"""Backups in Swift, in upstream Trove's object format.

The stream is cut into segments of at most ``backup_segment_max_size``
bytes named ``<base>_00000000``, ``<base>_00000001``... (``<base>`` is the
object name up to its first dot). Each segment is uploaded as it is read
(chunked transfer encoding, nothing buffered on disk) and the ETag Swift
returns must equal the MD5 computed while sending it. Several segments
become a static large object whose manifest carries the metadata; its
checksum is the MD5 of the segments' MD5s concatenated, which is exactly
the ETag Swift reports for the manifest. A single segment is copied to
the final name (metadata added) and removed; its checksum is its ETag.

Credentials: ``[backup_swift] auth_url`` and its user/key when set (a
tempauth account or a Keystone user), else the requesting user's token
and their Swift account URL (``swift_url``), as upstream does.
"""

import json
import urllib.parse

import swiftclient
from oslo_log import log as logging

from trove.conf import CONF
from trove.storage import base

LOG = logging.getLogger(__name__)

SLO_HEADER = 'x-static-large-object'
CONNECTION_TIMEOUT = 60
RETRIES = 2


def _error(error, what):
    """A StorageError for a swiftclient failure."""
    status = getattr(error, 'http_status', None)
    reason = '%s: %s' % (what, getattr(error, 'msg', None) or error)
    if status == 404:
        return base.ObjectNotFound(reason)
    if status in (401, 403):
        return base.StorageAuthError(reason)
    if status is None:
        return base.StorageUnavailable(reason)
    return base.StorageError(reason)


def split_location(location):
    """(account URL, container, object name) of a Swift location."""
    account, _, name = location.rpartition('/')
    account, _, container = account.rpartition('/')
    if not (account and container and name):
        raise base.ObjectNotFound('%r is not a Swift object location'
                                  % location)
    return account, urllib.parse.unquote(container), \
        urllib.parse.unquote(name)


def segment_name(name, index):
    return '%s_%08d' % (name.split('.', 1)[0], index)


class SwiftStorage(base.BackupStorage):

    driver = 'swift'

    def __init__(self, swift_url=None, token=None):
        self.swift_url = swift_url
        self.token = token
        self.chunk_size = CONF.backup_chunk_size
        self.segment_size = CONF.backup_segment_max_size
        self._connection = None

    # Connections --------------------------------------------------------
    def _new_connection(self, preauthurl=None):
        credentials = CONF.backup_swift
        common = dict(retries=RETRIES, insecure=CONF.swift_api_insecure,
                      timeout=CONNECTION_TIMEOUT)
        if credentials.auth_url:
            os_options = {}
            if credentials.auth_version == '3':
                os_options = {
                    'project_name': credentials.project_name,
                    'user_domain_name': credentials.user_domain_name,
                    'project_domain_name': credentials.project_domain_name}
            connection = swiftclient.Connection(
                authurl=credentials.auth_url, user=credentials.user,
                key=credentials.key, auth_version=credentials.auth_version,
                os_options=os_options, **common)
            if preauthurl:
                # Fixed credentials reading a location of another account.
                url, token = connection.get_auth()
                if url.rstrip('/') != preauthurl.rstrip('/'):
                    return swiftclient.Connection(
                        preauthurl=preauthurl, preauthtoken=token, **common)
            return connection
        url = preauthurl or self.swift_url
        if not url or not self.token:
            raise base.StorageAuthError(
                'No Swift credentials: the request carries no user token '
                'or Swift URL and [backup_swift] auth_url is not set.')
        return swiftclient.Connection(preauthurl=url,
                                      preauthtoken=self.token, **common)

    @property
    def connection(self):
        if self._connection is None:
            self._connection = self._new_connection()
        return self._connection

    def account_url(self):
        connection = self.connection
        if not connection.url:
            try:
                connection.get_auth()
            except swiftclient.ClientException as error:
                raise _error(error, 'Swift authentication failed') from error
            except Exception as error:
                raise base.StorageUnavailable(
                    'Swift cannot be reached: %s' % error) from error
        return connection.url.rstrip('/')

    def _for_location(self, location):
        account, container, name = split_location(location)
        if account == self.account_url():
            return self.connection, container, name
        return self._new_connection(preauthurl=account), container, name

    def _call(self, what, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except swiftclient.ClientException as error:
            raise _error(error, what) from error
        except base.StorageError:
            raise
        except Exception as error:
            raise base.StorageUnavailable('%s: %s' % (what, error)) from error

    def check_access(self):
        self._call('Swift account check failed', self.connection.head_account)

    # Saving ---------------------------------------------------------------
    def save(self, container, name, stream, finish):
        connection = self.connection
        self._call('Could not create container %s' % container,
                   connection.put_container, container)
        segments = []
        try:
            while True:
                first = stream.read(self.chunk_size)
                if not first:
                    break
                segments.append(self._put_segment(
                    connection, container, segment_name(name, len(segments)),
                    first, stream))
            if not segments:
                raise base.StorageError('The backup stream was empty.')
            metadata = finish()
            checksum = self._finish_object(connection, container, name,
                                           segments, metadata)
            self._check_final_etag(connection, container, name, checksum)
        except BaseException:
            self._remove_partial(connection, container, name, segments)
            raise
        size = sum(segment['size_bytes'] for segment in segments)
        LOG.info('Stored %s/%s: %d bytes in %d segment(s), checksum %s',
                 container, name, size, len(segments), checksum)
        return base.SavedObject('%s/%s/%s' % (
            self.account_url(), urllib.parse.quote(container),
            urllib.parse.quote(name)), checksum, size)

    def _put_segment(self, connection, container, segment, first, stream):
        hasher = base.md5()
        counted = {'size': 0}

        def chunks():
            chunk = first
            while chunk:
                hasher.update(chunk)
                counted['size'] += len(chunk)
                yield chunk
                remaining = self.segment_size - counted['size']
                if remaining <= 0:
                    return
                chunk = stream.read(min(self.chunk_size, remaining))

        etag = self._call('Could not upload segment %s' % segment,
                          connection.put_object, container, segment,
                          contents=chunks())
        local = hasher.hexdigest()
        if etag != local:
            raise base.ChecksumMismatch(
                'Swift stored segment %s with ETag %s, but %s was sent.'
                % (segment, etag, local))
        return {'path': '/%s/%s' % (container, segment), 'etag': local,
                'size_bytes': counted['size'], 'name': segment}

    def _finish_object(self, connection, container, name, segments,
                       metadata):
        headers = base.metadata_headers(metadata)
        if len(segments) == 1:
            segment = segments[0]
            headers['X-Copy-From'] = '/%s/%s' % (
                urllib.parse.quote(container),
                urllib.parse.quote(segment['name']))
            self._call('Could not store %s' % name, connection.put_object,
                       container, name, contents=None, headers=headers)
            self._call('Could not remove segment %s' % segment['name'],
                       connection.delete_object, container, segment['name'])
            segments[0] = dict(segment, copied=True)
            return segment['etag']
        manifest = [{key: segment[key]
                     for key in ('path', 'etag', 'size_bytes')}
                    for segment in segments]
        self._call('Could not store the manifest of %s' % name,
                   connection.put_object, container, name,
                   contents=json.dumps(manifest),
                   query_string='multipart-manifest=put', headers=headers)
        hasher = base.md5()
        for segment in segments:
            hasher.update(segment['etag'].encode())
        return hasher.hexdigest()

    def _check_final_etag(self, connection, container, name, checksum):
        headers = self._call('Could not check %s' % name,
                             connection.head_object, container, name)
        etag = headers.get('etag', '').strip('"')
        if etag != checksum:
            raise base.ChecksumMismatch(
                'Swift reports ETag %s for %s, expected %s.'
                % (etag, name, checksum))

    def _remove_partial(self, connection, container, name, segments):
        for segment in segments:
            if not segment.get('copied'):
                self._quiet_delete(connection, container, segment['name'])
        if segments:
            self._quiet_delete(connection, container, name)

    @staticmethod
    def _quiet_delete(connection, container, name, query_string=None):
        try:
            connection.delete_object(container, name,
                                     query_string=query_string)
        except swiftclient.ClientException as error:
            if error.http_status != 404:
                LOG.warning('Could not remove %s/%s: %s', container, name,
                            error)
        except Exception as error:
            LOG.warning('Could not remove %s/%s: %s', container, name, error)

    # Reading --------------------------------------------------------------
    def _head(self, connection, container, name):
        return self._call('Backup object %s/%s' % (container, name),
                          connection.head_object, container, name)

    def _manifest(self, connection, container, name):
        """[(container, segment, md5, bytes)] of a static large object."""
        _headers, body = self._call(
            'Could not read the manifest of %s' % name, connection.get_object,
            container, name, query_string='multipart-manifest=get')
        try:
            entries = json.loads(body)
            return [tuple(entry['name'].lstrip('/').split('/', 1))
                    + (entry['hash'], entry['bytes']) for entry in entries]
        except (ValueError, KeyError, TypeError) as error:
            raise base.ChecksumMismatch(
                'The manifest of %s is not valid: %s' % (name, error)) \
                from error

    @staticmethod
    def _combined(parts):
        hasher = base.md5()
        for part in parts:
            hasher.update(part[2].encode())
        return hasher.hexdigest()

    def _parts(self, location):
        """(connection, parts, whole checksum); parts are (container,
        name, md5 or None, size or None)."""
        connection, container, name = self._for_location(location)
        headers = self._head(connection, container, name)
        if headers.get(SLO_HEADER, '').lower() == 'true':
            parts = self._manifest(connection, container, name)
            return connection, parts, self._combined(parts)
        etag = headers.get('etag', '').strip('"')
        return connection, [(container, name, etag, None)], etag

    def checksum(self, location):
        return self._parts(location)[2]

    def metadata(self, location):
        connection, container, name = self._for_location(location)
        return base.metadata_from_headers(
            self._head(connection, container, name))

    def verify(self, location, checksum):
        connection, parts, whole = self._parts(location)
        if checksum and whole != checksum:
            raise base.ChecksumMismatch(
                'Backup object %s has checksum %s, not the recorded %s.'
                % (location, whole, checksum))
        if len(parts) > 1:
            for container, name, expected, _size in parts:
                headers = self._head(connection, container, name)
                etag = headers.get('etag', '').strip('"')
                if etag != expected:
                    raise base.ChecksumMismatch(
                        'Segment %s/%s of %s was changed (ETag %s, manifest '
                        'says %s).' % (container, name, location, etag,
                                       expected))

    def load(self, location, checksum):
        connection, parts, whole = self._parts(location)
        if checksum and whole != checksum:
            raise base.ChecksumMismatch(
                'Backup object %s has checksum %s, not the recorded %s.'
                % (location, whole, checksum))
        for container, name, expected, _size in parts:
            hasher = base.md5()
            _headers, body = self._call(
                'Could not read %s/%s' % (container, name),
                connection.get_object, container, name,
                resp_chunk_size=self.chunk_size)
            try:
                for chunk in body:
                    hasher.update(chunk)
                    yield chunk
            except Exception as error:
                raise base.StorageUnavailable(
                    'Reading %s/%s failed: %s' % (container, name, error)) \
                    from error
            if hasher.hexdigest() != expected:
                raise base.ChecksumMismatch(
                    'The content of %s/%s does not match its checksum %s.'
                    % (container, name, expected))

    def delete(self, location):
        try:
            connection, container, name = self._for_location(location)
            headers = self._head(connection, container, name)
        except base.ObjectNotFound:
            LOG.info('Backup object %s is already gone', location)
            return
        if headers.get(SLO_HEADER, '').lower() == 'true':
            self._call('Could not delete %s' % location,
                       connection.delete_object, container, name,
                       query_string='multipart-manifest=delete')
        else:
            self._call('Could not delete %s' % location,
                       connection.delete_object, container, name)
        LOG.info('Deleted backup object %s', location)
