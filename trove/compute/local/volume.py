"""Data volumes of local instances: a directory and its declared size.

A volume is ``<[local] volumes_dir>/<volume id>/``: ``volume.json`` (size
in GB, type, owning instance, the server it is attached to) and the data
under ``mount/``. Attaching tells the guest to use that directory: the
volume directory is the "device" (the guest's directory volume driver
reads the size from it) and ``mount/`` the mount point. With ``[local]
volume_backend = directory`` sizes are a quota, not a filesystem: nothing
stops an engine from writing more, but usage is measured and reported.
With ``loop`` the volume is an ext4 filesystem of its size in
``volume.img``, loop-mounted on ``mount/`` (see loopfs): a full volume
makes writes fail; extending grows the image and the filesystem; delete
unmounts and removes it. The record's ``backend`` says which a volume is.
"""

import contextlib
import dataclasses
import os
import shutil
import uuid

from oslo_log import log as logging

from trove.common import exception
from trove.compute import base
from trove.compute.local import choices, layout, loopfs
from trove.conf import CONF

LOG = logging.getLogger(__name__)

AVAILABLE = 'available'
IN_USE = 'in-use'


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

    def __init__(self, volumes_dir=None):
        self._volumes_dir = volumes_dir

    @property
    def volumes_dir(self):
        return self._volumes_dir or CONF.local.volumes_dir

    def _layout(self, volume_id):
        return layout.VolumeLayout(self.volumes_dir, volume_id)

    def _record(self, paths):
        record = layout.read_json(paths.volume_json)
        if record is None:
            raise base.VolumeNotFound(volume_id=paths.volume_id)
        return record

    @contextlib.contextmanager
    def _locked(self, paths):
        """Changes of one volume's record never interleave (an attach
        racing a server delete's detach); yields the record."""
        with layout.file_lock(paths.dir):
            yield self._record(paths)

    def _records(self):
        """(paths, record) of every volume."""
        for volume_dir in layout.child_dirs(self.volumes_dir):
            paths = self._layout(os.path.basename(volume_dir))
            try:
                record = layout.read_json(paths.volume_json)
            except exception.ComputeError:
                continue
            if record:
                yield paths, record

    def _volume(self, paths, record):
        return base.Volume(
            id=record['id'], size=int(record['size']),
            status=IN_USE if record.get('attached_to') else AVAILABLE,
            used_bytes=self._used_bytes(paths.mount_dir),
            volume_type=record.get('volume_type'),
            instance_id=record.get('instance_id'),
            attached_to=record.get('attached_to'))

    @staticmethod
    def _used_bytes(mount_dir):
        if os.path.ismount(mount_dir):
            info = os.statvfs(mount_dir)
            return (info.f_blocks - info.f_bfree) * info.f_frsize
        return used_bytes(mount_dir)

    def volume_types(self, context):
        return [dataclasses.asdict(volume_type) for volume_type
                in choices.volume_types(context)]

    @staticmethod
    def _type_name(requested):
        """The name of the requested type (by name or id), or the
        default's."""
        for volume_type in choices.volume_types():
            if requested in (volume_type.id, volume_type.name):
                return volume_type.name
        default = choices.default_volume_type()
        return default.name if default else None

    def create_volume(self, context, spec):
        self.validate(spec)
        volume_id = str(uuid.uuid4())
        paths = self._layout(volume_id)
        paths.make_dirs()
        record = {'id': volume_id, 'size': int(spec.size),
                  'name': spec.name, 'instance_id': spec.instance_id,
                  'volume_type': self._type_name(spec.volume_type),
                  'attached_to': None,
                  'backend': CONF.local.volume_backend}
        if record['backend'] == 'loop':
            try:
                loopfs.create(paths.dir, paths.mount_dir, record['size'])
            except Exception:
                self._remove_loop(paths)
                shutil.rmtree(paths.dir, ignore_errors=True)
                raise
        layout.write_json(paths.volume_json, record)
        LOG.info('Created volume %s of %d GB for instance %s', volume_id,
                 record['size'], spec.instance_id)
        return self._volume(paths, record)

    @staticmethod
    def _remove_loop(paths):
        try:
            loopfs.remove(paths.dir, paths.mount_dir)
        except Exception as error:
            LOG.error('Could not remove the filesystem of volume %s: %s',
                      paths.volume_id, error)

    def get_volume(self, context, volume_id):
        paths = self._layout(volume_id)
        return self._volume(paths, self._record(paths))

    def find_volumes(self, context, instance_id):
        return [self._volume(paths, record)
                for paths, record in self._records()
                if record.get('instance_id') == instance_id]

    def attachment(self, paths, server_id):
        return base.VolumeAttachment(
            volume_id=paths.volume_id, server_id=server_id,
            device_path=paths.dir, mount_point=paths.mount_dir)

    def attach_volume(self, context, volume_id, server_id):
        paths = self._layout(volume_id)
        if not paths.exists():
            raise base.VolumeNotFound(volume_id=volume_id)
        with self._locked(paths) as record:
            current = record.get('attached_to')
            if current and current != server_id:
                raise exception.ComputeError(
                    reason='volume %s is attached to server %s'
                           % (volume_id, current))
            if record.get('backend') == 'loop':
                # Mounted again after a reboot of the machine.
                loopfs.mount(paths.dir, paths.mount_dir)
            record['attached_to'] = server_id
            layout.write_json(paths.volume_json, record)
        LOG.info('Attached volume %s to server %s', volume_id, server_id)
        return self.attachment(paths, server_id)

    def detach_volume(self, context, volume_id, server_id):
        paths = self._layout(volume_id)
        if not paths.exists():
            raise base.VolumeNotFound(volume_id=volume_id)
        with self._locked(paths) as record:
            if record.get('attached_to') == server_id:
                record['attached_to'] = None
                layout.write_json(paths.volume_json, record)
                LOG.info('Detached volume %s from server %s', volume_id,
                         server_id)

    def detach_all(self, server_id):
        """Detach every volume attached to ``server_id`` (its delete)."""
        for paths, record in self._records():
            if record.get('attached_to') == server_id:
                self.detach_volume(None, paths.volume_id, server_id)

    def extends_online(self, context, volume_id):
        """A loop volume is grown unmounted where this process may not
        grow a mounted ext4."""
        record = self._record(self._layout(volume_id))
        return record.get('backend') != 'loop' or loopfs.can_grow_online()

    def extend_volume(self, context, volume_id, new_size):
        paths = self._layout(volume_id)
        if not paths.exists():
            raise base.VolumeNotFound(volume_id=volume_id)
        new_size = int(new_size)
        with self._locked(paths) as record:
            size = int(record['size'])
            if new_size < size:
                raise exception.ComputeError(
                    reason='volume %s can only grow: it has %d GB, %d GB '
                           'were asked' % (volume_id, size, new_size))
            if record.get('backend') == 'loop':
                loopfs.grow(paths.dir, paths.mount_dir, new_size,
                            online=loopfs.can_grow_online())
            record['size'] = new_size
            layout.write_json(paths.volume_json, record)
        LOG.info('Extended volume %s from %d to %d GB', volume_id, size,
                 new_size)
        return self.get_volume(context, volume_id)

    def delete_volume(self, context, volume_id):
        paths = self._layout(volume_id)
        if not paths.exists():
            raise base.VolumeNotFound(volume_id=volume_id)
        record = self._record(paths)
        if record.get('attached_to'):
            raise exception.ComputeError(
                reason='volume %s is attached to server %s; delete or '
                       'detach that first' % (volume_id,
                                              record['attached_to']))
        if record.get('backend') == 'loop':
            # Unmounted first: removing the tree must not reach into a
            # filesystem another attempt could still need.
            loopfs.remove(paths.dir, paths.mount_dir)
        # The record goes first: a half-deleted volume is gone, not broken.
        os.unlink(paths.volume_json)
        shutil.rmtree(paths.dir, ignore_errors=True)
        LOG.info('Deleted volume %s', volume_id)
