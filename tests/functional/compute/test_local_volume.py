"""What is particular to the local provider's volumes: a sized directory
the guest reads, usage measured by walking it. What every provider
promises is in tests/contract."""

import json
import os

from trove.compute import base
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
