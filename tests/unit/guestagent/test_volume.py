"""Volume statistics of the directory driver (local provider)."""

import json
import os

import pytest

from trove.guestagent import errors
from trove.guestagent import volume

GB = 1024 ** 3


@pytest.fixture
def volume_dir(tmp_path):
    path = tmp_path / 'volume'
    path.mkdir()
    return path


def write_size(tmp_path, size):
    size_file = tmp_path / 'volume.json'
    size_file.write_text(json.dumps({'size': size}))
    return str(size_file)


def test_size_comes_from_the_json_file(tmp_path, volume_dir):
    driver = volume.DirectoryVolume(write_size(tmp_path, 3))
    stats = driver.stats(str(volume_dir))
    assert stats['total'] == 3.0
    assert stats['block_size'] == 4096
    assert stats['total_blocks'] == 3 * GB // 4096
    assert stats['mgr_extra_info'] == {}
    assert set(stats) == {'block_size', 'total_blocks', 'free_blocks',
                          'avail_blocks', 'total', 'free', 'used',
                          'mgr_extra_info'}


def test_used_space_is_measured_by_walking(tmp_path, volume_dir):
    driver = volume.DirectoryVolume(write_size(tmp_path, 1))
    empty = driver.stats(str(volume_dir))
    (volume_dir / 'data').mkdir()
    with open(volume_dir / 'data' / 'table.ibd', 'wb') as data:
        data.write(os.urandom(50 * 1024 * 1024))
    os.link(volume_dir / 'data' / 'table.ibd', volume_dir / 'hardlink')
    stats = driver.stats(str(volume_dir))
    # 50 MB counted once despite the hard link.
    assert 0.04 <= stats['used'] - empty['used'] <= 0.06
    assert stats['free'] == stats['free_blocks'] * 4096
    assert empty['free'] - stats['free'] >= 50 * 1024 * 1024
    assert stats['avail_blocks'] == stats['free_blocks']


def test_usage_past_the_size_shows_no_free_space(tmp_path, volume_dir):
    driver = volume.DirectoryVolume(write_size(tmp_path, 0.01))
    with open(volume_dir / 'big', 'wb') as data:
        data.write(os.urandom(20 * 1024 * 1024))
    stats = driver.stats(str(volume_dir))
    assert stats['free'] == 0 and stats['free_blocks'] == 0
    assert stats['used'] > stats['total']


def test_without_size_file_the_filesystem_size_is_used(volume_dir):
    stats = volume.DirectoryVolume(None).stats(str(volume_dir))
    info = os.statvfs(str(volume_dir))
    assert stats['total_blocks'] * 4096 <= info.f_blocks * info.f_frsize
    assert stats['total'] > 0


def test_bad_size_file_is_an_error(tmp_path, volume_dir):
    size_file = tmp_path / 'volume.json'
    size_file.write_text('{"gigabytes": 1}')
    with pytest.raises(errors.GuestAgentError, match='size'):
        volume.DirectoryVolume(str(size_file)).stats(str(volume_dir))


def test_missing_volume_is_an_error(tmp_path):
    with pytest.raises(errors.GuestAgentError, match='does not exist'):
        volume.DirectoryVolume(None).stats(str(tmp_path / 'absent'))


def test_block_driver_reports_statvfs(volume_dir):
    stats = volume.BlockVolume().stats(str(volume_dir))
    info = os.statvfs(str(volume_dir))
    assert stats['total_blocks'] == info.f_blocks
    used = (info.f_blocks - info.f_bfree) * stats['block_size'] / GB
    # Other programs write to this filesystem meanwhile.
    assert abs(stats['used'] - used) < 0.1
    assert stats['total'] == round(info.f_blocks * stats['block_size'] / GB,
                                   2)
