"""What is particular to the local provider's volumes: a sized directory
the guest reads, usage measured by walking it. What every provider
promises is in tests/contract."""

import errno
import json
import os
import shutil
import subprocess

import pytest

from trove.compute import base
from trove.compute.local import loopfs
from trove.conf import CONF
from trove.guestagent import volume as guest_volume


def test_a_volume_is_a_sized_directory_the_guest_can_read(volumes,
                                                          world_tmp_dir):
    volume = volumes.create_volume(None, base.VolumeSpec(
        instance_id='inst-v', size=2, volume_type='local'))
    volume_dir = os.path.join(str(world_tmp_dir), 'volumes', volume.id)
    with open(os.path.join(volume_dir, 'volume.json')) as record:
        record = json.load(record)
    assert (record['size'], record['instance_id'], record['volume_type']) \
        == (2, 'inst-v', 'local')
    assert os.stat(volume_dir).st_mode & 0o777 == 0o755

    attachment = volumes.attach_volume(None, volume.id, 'server-1')
    assert attachment.device_path == volume_dir
    assert attachment.mount_point == os.path.join(volume_dir, 'mount')

    before = volumes.get_volume(None, volume.id).used_bytes
    with open(os.path.join(attachment.mount_point, 'blob'), 'wb') as blob:
        blob.write(os.urandom(1024 * 1024))
    assert volumes.get_volume(None, volume.id).used_bytes - before \
        >= 1024 * 1024

    # The guest's directory volume driver sees the provider's size.
    volumes.extend_volume(None, volume.id, 5)
    directory = guest_volume.DirectoryVolume(
        os.path.join(attachment.device_path, 'volume.json'))
    stats = directory.stats(attachment.mount_point)
    assert stats['total'] == 5.0

    volumes.detach_volume(None, volume.id, 'server-1')
    volumes.delete_volume(None, volume.id)
    assert not os.path.exists(volume_dir)


def test_volume_types_come_from_the_options(volumes):
    assert [t['name'] for t in volumes.volume_types(None)] == ['local']
    volume = volumes.create_volume(None, base.VolumeSpec(
        instance_id='inst-t', size=1))
    assert volume.volume_type == 'local'


def _loop_devices_of(path):
    out = subprocess.run(['losetup', '-j', path], capture_output=True,
                         text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip()]


@pytest.fixture
def loop_volumes(volumes):
    if os.getuid() != 0 or not shutil.which('mkfs.ext4'):
        pytest.skip('loop volumes need root and mkfs.ext4')
    CONF.set_override('volume_backend', 'loop', group='local')
    made = []
    yield volumes, made
    CONF.clear_override('volume_backend', group='local')
    for volume_dir in made:     # also when the test failed
        loopfs.remove(volume_dir, os.path.join(volume_dir, 'mount'))


def test_a_loop_volume_is_a_filesystem_of_its_size(loop_volumes,
                                                   world_tmp_dir):
    volumes, made = loop_volumes
    volume = volumes.create_volume(None, base.VolumeSpec(
        instance_id='inst-l', size=1, volume_type='local'))
    volume_dir = os.path.join(str(world_tmp_dir), 'volumes', volume.id)
    made.append(volume_dir)
    attachment = volumes.attach_volume(None, volume.id, 'server-1')
    mount = attachment.mount_point
    assert os.path.ismount(mount)
    assert os.listdir(mount) == []          # no lost+found
    assert os.stat(mount).st_mode & 0o777 == 0o755
    image = os.path.join(volume_dir, 'volume.img')
    assert os.path.getsize(image) == 1024 ** 3
    assert os.stat(image).st_blocks * 512 < 200 * 1024 ** 2  # sparse

    # Filled: writes fail, the guest sees it full, the provider too.
    with pytest.raises(OSError) as full:
        with open(os.path.join(mount, 'filler'), 'wb') as filler:
            chunk = b'\0' * (4 * 1024 * 1024)
            for _ in range(400):
                filler.write(chunk)
                filler.flush()
    assert full.value.errno == errno.ENOSPC
    guest = guest_volume.DirectoryVolume(
        os.path.join(attachment.device_path, 'volume.json'))
    message = guest.full_message(mount)
    assert message and message.startswith('The data volume is full'), \
        message
    assert volumes.get_volume(None, volume.id).used_bytes > 0.9 * 1024 ** 3

    # Extended: the filesystem grows while mounted, writes work again.
    volumes.extend_volume(None, volume.id, 2)
    assert os.path.getsize(image) == 2 * 1024 ** 3
    assert guest.stats(mount)['total'] > 1.9
    assert guest.full_message(mount) is None
    with open(os.path.join(mount, 'more'), 'wb') as more:
        more.write(b'\0' * (16 * 1024 * 1024))

    volumes.detach_volume(None, volume.id, 'server-1')
    volumes.delete_volume(None, volume.id)
    assert not os.path.exists(volume_dir)
    assert not os.path.ismount(mount)
    assert not _loop_devices_of(image)


def test_a_plain_directory_is_never_full(volumes, world_tmp_dir):
    volume = volumes.create_volume(None, base.VolumeSpec(
        instance_id='inst-d', size=1, volume_type='local'))
    volume_dir = os.path.join(str(world_tmp_dir), 'volumes', volume.id)
    guest = guest_volume.DirectoryVolume(
        os.path.join(volume_dir, 'volume.json'))
    assert guest.full_message(os.path.join(volume_dir, 'mount')) is None
    volumes.delete_volume(None, volume.id)
