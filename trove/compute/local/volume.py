"""Data volumes of local instances: a directory and its declared size.

``<instance dir>/volume/`` holds the data and ``volume.json`` its size in
GB (the guest's ``directory`` volume driver reads it); the volume id is
the instance id. Sizes are a quota, not a filesystem: nothing stops an
engine from writing more, but usage is measured and reported.
"""

import os
import shutil

from oslo_log import log as logging

from trove.common import exception
from trove.compute import base
from trove.compute.local import layout
from trove.conf import CONF

LOG = logging.getLogger(__name__)


def used_bytes(path):
    """Disk space used under ``path`` (like du: allocated blocks, each
    hard-linked file once)."""
    total = 0
    seen = set()
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                stat = os.lstat(os.path.join(root, name))
            except OSError:
                continue    # removed while walking
            key = (stat.st_dev, stat.st_ino)
            if key in seen:
                continue
            seen.add(key)
            total += stat.st_blocks * 512
    return total


class LocalVolumeDriver(base.VolumeDriver):

    def __init__(self, instances_dir=None):
        self._instances_dir = instances_dir

    @property
    def instances_dir(self):
        return self._instances_dir or CONF.local.instances_dir

    def _layout(self, volume_id):
        try:
            return layout.InstanceLayout(self.instances_dir, volume_id)
        except base.ServerNotFound:
            raise base.VolumeNotFound(volume_id=volume_id) from None

    def _size(self, paths):
        record = layout.read_json(paths.volume_json)
        if record is None:
            raise base.VolumeNotFound(volume_id=paths.instance_id)
        return int(record['size'])

    def create_volume(self, context, instance_id, size, volume_type=None,
                      availability_zone=None):
        size = int(size)
        if size < 1:
            raise exception.ComputeError(
                reason='a volume must be at least 1 GB (got %d)' % size)
        paths = self._layout(instance_id)
        paths.make_dirs(paths.volume_dir)
        layout.write_json(paths.volume_json, {'size': size})
        LOG.info('Created volume %s of %d GB', instance_id, size)
        return self.get_volume(context, instance_id)

    def get_volume(self, context, volume_id):
        paths = self._layout(volume_id)
        size = self._size(paths)
        status = 'in-use' if os.path.exists(paths.server_json) \
            else 'available'
        return base.Volume(id=volume_id, size=size, status=status,
                           used_bytes=used_bytes(paths.volume_dir))

    def extend_volume(self, context, volume_id, new_size):
        paths = self._layout(volume_id)
        size = self._size(paths)
        new_size = int(new_size)
        if new_size < size:
            raise exception.ComputeError(
                reason='volume %s can only grow: it has %d GB, %d GB were '
                       'asked' % (volume_id, size, new_size))
        layout.write_json(paths.volume_json, {'size': new_size})
        LOG.info('Extended volume %s from %d to %d GB', volume_id, size,
                 new_size)
        return self.get_volume(context, volume_id)

    def delete_volume(self, context, volume_id):
        paths = self._layout(volume_id)
        if not (os.path.exists(paths.volume_json)
                or os.path.isdir(paths.volume_dir)):
            raise base.VolumeNotFound(volume_id=volume_id) from None
        shutil.rmtree(paths.volume_dir, ignore_errors=True)
        try:
            os.unlink(paths.volume_json)
        except FileNotFoundError:
            pass
        if not os.path.exists(paths.server_json):
            # Nothing else belongs to this instance: leave no directory.
            shutil.rmtree(paths.dir, ignore_errors=True)
        LOG.info('Deleted volume %s', volume_id)
