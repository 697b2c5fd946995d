"""Backup storage pieces that need no server: metadata headers, Swift
locations, and the local directory driver (confined to its root)."""

import errno
import hashlib
import io
import os

import pytest

from trove import storage
from trove.storage import base, local, swift


def test_metadata_round_trips_through_swift_headers():
    metadata = {'parent_location': 'http://s/v1/AUTH_x/c/o', 'lsn': 42,
                'datastore_version': '10.11', 'skipped': None}
    headers = base.metadata_headers(metadata)
    assert headers['X-Object-Meta-Parent-Location'] == metadata[
        'parent_location']
    assert 'X-Object-Meta-Skipped' not in headers
    lowered = {key.lower(): value for key, value in headers.items()}
    lowered['etag'] = 'abc'
    assert base.metadata_from_headers(lowered) == {
        'parent_location': 'http://s/v1/AUTH_x/c/o', 'lsn': '42',
        'datastore_version': '10.11'}


def test_swift_locations():
    assert swift.split_location(
        'http://127.0.0.1:8080/v1/AUTH_p/database_backups/id.xbstream.gz'
    ) == ('http://127.0.0.1:8080/v1/AUTH_p', 'database_backups',
          'id.xbstream.gz')
    with pytest.raises(base.ObjectNotFound):
        swift.split_location('nonsense')
    assert swift.segment_name('abc.tar.gz', 3) == 'abc_00000003'
    assert storage.driver_of('file:///x/y') == 'local'
    assert storage.driver_of('http://x/v1/a/c/o') == 'swift'
    with pytest.raises(base.StorageError):
        storage.get_storage('tape')


def test_local_storage_round_trip(tmp_path):
    driver = local.LocalStorage(str(tmp_path / 'root'))
    data = os.urandom(300000)
    saved = driver.save('container', 'b1.tar.gz', io.BytesIO(data),
                        lambda: {'lsn': '7'})
    path = str(tmp_path / 'root' / 'container' / 'b1.tar.gz')
    assert saved.location == 'file://' + path
    assert saved.checksum == hashlib.md5(data).hexdigest()
    assert b''.join(driver.load(saved.location, saved.checksum)) == data
    assert driver.metadata(saved.location)['lsn'] == '7'
    driver.verify(saved.location, saved.checksum)
    with pytest.raises(base.ChecksumMismatch):
        driver.verify(saved.location, '0' * 32)
    with pytest.raises(base.ChecksumMismatch):
        b''.join(driver.load(saved.location, '0' * 32))
    driver.delete(saved.location)
    assert os.listdir(tmp_path / 'root' / 'container') == []
    with pytest.raises(base.ObjectNotFound):
        driver.verify(saved.location, saved.checksum)
    driver.delete(saved.location)


def test_local_storage_stays_in_its_root(tmp_path):
    driver = local.LocalStorage(str(tmp_path / 'root'))
    (tmp_path / 'secret').write_text('x')
    for location in ('file://%s/secret' % tmp_path,
                     'file://%s/root/../secret' % tmp_path,
                     'http://elsewhere/v1/a/c/o'):
        with pytest.raises(base.ObjectNotFound):
            driver.verify(location, None)
        with pytest.raises(base.ObjectNotFound):
            driver.delete(location)
    for container, name in (('..', 'x'), ('c', '../x'), ('c', '')):
        with pytest.raises(base.StorageError):
            driver.save(container, name, io.BytesIO(b'x'), dict)
    assert (tmp_path / 'secret').read_text() == 'x'


def test_local_storage_keeps_nothing_of_a_failed_backup(tmp_path):
    driver = local.LocalStorage(str(tmp_path))

    def tool_failed():
        raise base.StorageError('tool failed')
    with pytest.raises(base.StorageError):
        driver.save('c', 'b.tar.gz', io.BytesIO(b'data'), tool_failed)
    with pytest.raises(base.StorageError):
        driver.save('c', 'b.tar.gz', io.BytesIO(b''), dict)
    assert os.listdir(tmp_path / 'c') == []


def test_a_full_local_store_says_so_and_keeps_nothing(tmp_path, monkeypatch):
    driver = local.LocalStorage(str(tmp_path))
    real_fdopen = os.fdopen

    class FullFile:
        def __init__(self, target):
            self.target = target

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.target.close()

        def write(self, chunk):
            raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(local.os, 'fdopen',
                        lambda *a, **k: FullFile(real_fdopen(*a, **k)))
    with pytest.raises(base.StorageFull) as raised:
        driver.save('c', 'b.tar.gz', io.BytesIO(b'data'), dict)
    assert 'The backup store is full' in raised.value.message
    assert os.listdir(tmp_path / 'c') == []
