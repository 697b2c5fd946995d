"""The Swift backup storage against a real one-node Swift: upstream's object
format (segments ``<id>_%08d``, static large object manifest, metadata
headers, checksum = the manifest's ETag), streaming, integrity checks and
deletion; with tempauth credentials and with a user's Keystone token."""

import hashlib
import io
import json
import os
import uuid

import pytest
import swiftclient

from trove.conf import CONF
from trove.storage import base, swift

pytestmark = pytest.mark.functional

SEGMENT = 64 * 1024
CONTAINER = 'database_backups'


@pytest.fixture
def tempauth(swift_server):
    options = {'auth_url': swift_server.server.auth_url,
               'auth_version': '1', 'user': 'trove:backup',
               'key': swift_server.server.tempauth_users['trove:backup']}
    for name, value in options.items():
        CONF.set_override(name, value, group='backup_swift')
    CONF.set_override('backup_segment_max_size', SEGMENT)
    CONF.set_override('backup_chunk_size', 16 * 1024)
    yield swift.SwiftStorage(), swift_server.tempauth_connection()
    for name in options:
        CONF.clear_override(name, group='backup_swift')
    CONF.clear_override('backup_segment_max_size')
    CONF.clear_override('backup_chunk_size')


class Stream(io.RawIOBase):
    """A pipe-like stream: reads return at most ``step`` bytes."""

    def __init__(self, data, step=10000):
        self.data = data
        self.position = 0
        self.step = step

    def readable(self):
        return True

    def read(self, size=-1):
        size = self.step if size is None or size < 0 else min(size,
                                                              self.step)
        chunk = self.data[self.position:self.position + size]
        self.position += len(chunk)
        return chunk


def save(storage, data, metadata=None):
    name = str(uuid.uuid4()) + '.xbstream.gz'
    return name, storage.save(CONTAINER, name, Stream(data),
                              lambda: metadata or {'lsn': '42'})


def test_large_backup_is_a_static_large_object(tempauth):
    storage, connection = tempauth
    data = os.urandom(SEGMENT * 3 + 123)
    name, saved = save(storage, data, {'datastore': 'mariadb',
                                       'parent_location': 'http://x/y/z'})

    headers = connection.head_object(CONTAINER, name)
    assert headers['x-static-large-object'] == 'True'
    assert headers['etag'].strip('"') == saved.checksum
    assert headers['x-object-meta-datastore'] == 'mariadb'
    assert headers['x-object-meta-parent-location'] == 'http://x/y/z'
    _headers, manifest = connection.get_object(
        CONTAINER, name, query_string='multipart-manifest=get')
    segments = [entry['name'] for entry in json.loads(manifest)]
    base_name = name.split('.')[0]
    assert segments == ['/%s/%s_%08d' % (CONTAINER, base_name, index)
                        for index in range(4)]
    digests = ''.join(hashlib.md5(data[i:i + SEGMENT]).hexdigest()
                      for i in range(0, len(data), SEGMENT))
    assert saved.checksum == hashlib.md5(digests.encode()).hexdigest()
    assert saved.size == len(data)
    assert saved.location == '%s/%s/%s' % (connection.url, CONTAINER, name)

    assert b''.join(storage.load(saved.location, saved.checksum)) == data
    assert storage.metadata(saved.location)['datastore'] == 'mariadb'
    storage.verify(saved.location, saved.checksum)

    storage.delete(saved.location)
    _headers, listing = connection.get_container(CONTAINER,
                                                 prefix=base_name)
    assert listing == []


def test_small_backup_is_one_plain_object(tempauth):
    storage, connection = tempauth
    data = b'small backup'
    name, saved = save(storage, data)
    headers = connection.head_object(CONTAINER, name)
    assert 'x-static-large-object' not in headers
    assert headers['etag'] == hashlib.md5(data).hexdigest() == \
        saved.checksum
    assert headers['x-object-meta-lsn'] == '42'
    # The segment it was uploaded as is gone.
    _headers, listing = connection.get_container(
        CONTAINER, prefix=name.split('.')[0] + '_')
    assert listing == []


def test_changed_or_missing_segments_are_detected(tempauth):
    storage, connection = tempauth
    data = os.urandom(SEGMENT * 2 + 10)
    name, saved = save(storage, data)
    segment = '%s_%08d' % (name.split('.')[0], 1)
    original = connection.get_object(CONTAINER, segment)[1]
    connection.put_object(CONTAINER, segment, b'x' * len(original))
    with pytest.raises(base.ChecksumMismatch):
        storage.verify(saved.location, saved.checksum)
    with pytest.raises(base.StorageError):
        b''.join(storage.load(saved.location, saved.checksum))
    connection.delete_object(CONTAINER, segment)
    with pytest.raises(base.ObjectNotFound):
        storage.verify(saved.location, saved.checksum)
    with pytest.raises(base.ChecksumMismatch):
        storage.verify(saved.location, 'f' * 32)
    connection.delete_object(CONTAINER, name)
    with pytest.raises(base.ObjectNotFound):
        storage.metadata(saved.location)
    storage.delete(saved.location)      # already gone: fine


def test_a_failed_stream_leaves_no_object(tempauth):
    storage, connection = tempauth
    name = str(uuid.uuid4()) + '.tar.gz'

    def tool_failed():
        raise base.StorageError('the tool failed')
    with pytest.raises(base.StorageError):
        storage.save(CONTAINER, name, Stream(os.urandom(SEGMENT * 2)),
                     tool_failed)
    _headers, listing = connection.get_container(
        CONTAINER, prefix=name.split('.')[0])
    assert listing == []
    with pytest.raises(base.StorageError):
        storage.save(CONTAINER, name, Stream(b''), dict)


def test_wrong_credentials_are_an_auth_error(tempauth):
    CONF.set_override('key', 'wrong', group='backup_swift')
    with pytest.raises(base.StorageAuthError):
        swift.SwiftStorage().check_access()


def test_keystone_token_and_catalog_url(swift_server_with_keystone,
                                        keystone_server):
    """Without fixed credentials the user's token works on the account
    URL the control plane takes from the catalog (upstream's way)."""
    token = keystone_server.token('alice')
    url = token.endpoint('object-store')
    CONF.set_override('backup_segment_max_size', SEGMENT)
    try:
        storage = swift.SwiftStorage(url, token.token)
        storage.check_access()
        data = os.urandom(SEGMENT + 5)
        name, saved = save(storage, data)
        assert saved.location.startswith(url)
        reader = swift.SwiftStorage(url, token.token)
        assert b''.join(reader.load(saved.location, saved.checksum)) == data
        headers = swiftclient.head_object(url, token.token, CONTAINER, name)
        assert headers['etag'].strip('"') == saved.checksum
        with pytest.raises(base.StorageAuthError):
            swift.SwiftStorage(url, 'not-a-token').check_access()
        with pytest.raises(base.StorageAuthError):
            swift.SwiftStorage(None, None).check_access()
        reader.delete(saved.location)
    finally:
        CONF.clear_override('backup_segment_max_size')
