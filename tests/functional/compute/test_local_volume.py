"""The local volume driver: a sized directory per instance."""

import json
import os

import pytest

from trove.common import exception
from trove.compute import base

FLAVOR = {'id': '7', 'name': 'small', 'ram': 512, 'vcpus': 1, 'disk': 1}


def test_create_extend_measure_and_delete(volumes, driver, local_provider):
    volume = volumes.create_volume(None, 'inst-v', 2)
    assert (volume.id, volume.size, volume.status) == ('inst-v', 2,
                                                       'available')
    volume_dir = os.path.join(local_provider, 'inst-v', 'volume')
    size_file = os.path.join(local_provider, 'inst-v', 'volume.json')
    with open(size_file) as record:
        assert json.load(record) == {'size': 2}
    assert os.stat(volume_dir).st_mode & 0o777 == 0o755

    before = volumes.get_volume(None, 'inst-v').used_bytes
    os.makedirs(os.path.join(volume_dir, 'data'))
    with open(os.path.join(volume_dir, 'data', 'blob'), 'wb') as blob:
        blob.write(os.urandom(1024 * 1024))
    used = volumes.get_volume(None, 'inst-v').used_bytes
    assert used - before >= 1024 * 1024

    assert volumes.extend_volume(None, 'inst-v', 5).size == 5
    with open(size_file) as record:
        assert json.load(record) == {'size': 5}
    with pytest.raises(exception.ComputeError):
        volumes.extend_volume(None, 'inst-v', 3)
    assert volumes.get_volume(None, 'inst-v').size == 5

    files = base.GuestFiles(guest_info='', guest_config='')
    driver.create_server(None, 'inst-v', 'v', FLAVOR, None, files,
                         'postgresql')
    assert volumes.get_volume(None, 'inst-v').status == 'in-use'
    # The server does not wipe a volume made before it.
    assert os.path.exists(os.path.join(volume_dir, 'data', 'blob'))

    driver.delete_server(None, 'inst-v')
    with pytest.raises(base.VolumeNotFound):
        volumes.get_volume(None, 'inst-v')
    with pytest.raises(base.VolumeNotFound):
        volumes.delete_volume(None, 'inst-v')


def test_deleting_a_volume_without_server_leaves_no_directory(
        volumes, local_provider):
    volumes.create_volume(None, 'inst-w', 1)
    volumes.delete_volume(None, 'inst-w')
    assert not os.path.exists(os.path.join(local_provider, 'inst-w'))
    with pytest.raises(base.VolumeNotFound):
        volumes.get_volume(None, 'inst-w')


def test_unknown_volume(volumes):
    with pytest.raises(base.VolumeNotFound):
        volumes.get_volume(None, 'nothing-here')
    with pytest.raises(base.VolumeNotFound):
        volumes.extend_volume(None, 'nothing-here', 4)
