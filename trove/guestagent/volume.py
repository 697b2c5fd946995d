"""Size, usage and growth of the instance's data volume.

Two drivers, picked by ``volume_driver``:

* ``block``: a block device mounted at the datastore's mount point (Nova
  and Cinder). Sizes come from statvfs; growing runs resize2fs.
* ``directory``: a plain directory (local provider). Its size in GB is
  read from ``volume.json`` ({"size": <GB>}) in its "device" directory
  (or ``directory_volume_size_file``) and its usage is measured by
  walking it, counting each file's allocated blocks once. When a
  filesystem is mounted on it (the local provider's loop volumes), its
  figures come from statvfs as for a block device.

A filesystem (not a plain directory) with less than 1 % room left is
full: ``full_message`` words the fault the heartbeat carries and a
backup fails with.

Where the volume is comes from the provider through ``prepare``
(``device_path``, ``mount_point``): ``remember_attachment`` keeps them in
the guest's state dir and ``apply_remembered_attachment`` makes them the
datastore's ``device_path``/``mount_point`` whenever the agent starts.

Both answer ``stats`` in the shape of the guest RPC
``get_filesystem_stats``: block_size, total_blocks, free_blocks,
avail_blocks, total (GB), free (bytes), used (GB), mgr_extra_info.
"""

import json
import os

from oslo_log import log as logging

from trove.conf import CONF
from trove.guestagent import errors
from trove.guestagent import operating_system

LOG = logging.getLogger(__name__)

GB = 1024 ** 3
DIRECTORY_BLOCK_SIZE = 4096


def _stats(block_size, total_blocks, free_blocks, avail_blocks,
           used=None):
    total = total_blocks * block_size
    free = free_blocks * block_size
    used = total - free if used is None else used
    return {
        'block_size': block_size,
        'total_blocks': total_blocks,
        'free_blocks': free_blocks,
        'avail_blocks': avail_blocks,
        'total': round(total / GB, 2),
        'free': free,
        'used': round(used / GB, 2),
        'mgr_extra_info': {},
    }


# A volume with less room than this fraction of its size is full.
FULL_FRACTION = 0.01


def full_message(stats):
    """Words for a filesystem with (almost) no room left, else None."""
    block_size = stats['block_size']
    total = stats['total_blocks'] * block_size
    avail = stats['avail_blocks'] * block_size
    if total <= 0 or avail > total * FULL_FRACTION:
        return None
    return ('The data volume is full: %.2f of %.2f GB used, %d MB free. '
            'The database cannot write; resize the volume to bring it '
            'back.' % ((total - avail) / GB, total / GB,
                       avail // (1024 * 1024)))


class BlockVolume:
    """A mounted block device."""

    def full_message(self, mount_point):
        """A fault's message if the filesystem is full, else None."""
        try:
            return full_message(self.stats(mount_point))
        except (OSError, errors.GuestAgentError) as error:
            LOG.warning('Volume usage unknown: %s', error)
            return None

    def stats(self, mount_point):
        if not os.path.isdir(mount_point):
            raise errors.GuestAgentError(
                'The data volume mount point %s does not exist.'
                % mount_point)
        info = os.statvfs(mount_point)
        return _stats(info.f_frsize or info.f_bsize, info.f_blocks,
                      info.f_bfree, info.f_bavail)

    def resize(self, device_path, mount_point, online=True):
        """Grow the filesystem to the size of its (extended) device."""
        if not online:
            # An unmounted ext4 must be checked before it may be resized.
            operating_system.run(['e2fsck', '-f', '-y', device_path],
                                 timeout=CONF.volume_time_out)
        operating_system.run(['resize2fs', device_path],
                             timeout=CONF.volume_time_out)
        return self.stats(mount_point)


class DirectoryVolume:
    """A directory whose size is set by the provider in a JSON file."""

    def __init__(self, size_file=None):
        self.size_file = size_file

    def size_bytes(self, path):
        if self.size_file:
            try:
                with open(self.size_file) as handle:
                    return int(float(json.load(handle)['size']) * GB)
            except FileNotFoundError:
                LOG.warning('Volume size file %s is missing', self.size_file)
            except (ValueError, KeyError, TypeError) as error:
                raise errors.GuestAgentError(
                    'The volume size file %s is not {"size": <GB>}: %s'
                    % (self.size_file, error)) from error
        info = os.statvfs(path)
        return info.f_blocks * (info.f_frsize or info.f_bsize)

    @staticmethod
    def used_bytes(path):
        """Space allocated to everything under ``path`` (like du)."""
        seen = set()
        used = 0
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                try:
                    info = os.lstat(os.path.join(root, name))
                except OSError:
                    continue    # removed while we walk (engine temp files)
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
                used += info.st_blocks * 512
        return used

    def full_message(self, mount_point):
        """A directory has no hard limit: only a filesystem mounted on it
        (the local provider's ``loop`` volumes) can be full."""
        if not os.path.ismount(mount_point):
            return None
        return BlockVolume().full_message(mount_point)

    def stats(self, mount_point):
        if not os.path.isdir(mount_point):
            raise errors.GuestAgentError(
                'The data volume directory %s does not exist.' % mount_point)
        if os.path.ismount(mount_point):
            # A filesystem of the volume's size (``[local] volume_backend
            # = loop``): its own figures, a hard limit.
            return BlockVolume().stats(mount_point)
        total_blocks = self.size_bytes(mount_point) // DIRECTORY_BLOCK_SIZE
        used = self.used_bytes(mount_point)
        used_blocks = -(-used // DIRECTORY_BLOCK_SIZE)
        # A directory has no hard limit: usage past the size shows as
        # used > total and no free space.
        free_blocks = max(total_blocks - used_blocks, 0)
        return _stats(DIRECTORY_BLOCK_SIZE, total_blocks, free_blocks,
                      free_blocks, used=used_blocks * DIRECTORY_BLOCK_SIZE)

    def resize(self, device_path, mount_point, online=True):
        # The provider grows a directory volume by rewriting its size
        # file; there is no filesystem to grow.
        return self.stats(mount_point)


ATTACHMENT_FILE = 'volume.attachment.json'
DIRECTORY_SIZE_FILE = 'volume.json'


def _attachment_path():
    return os.path.join(CONF.guest_state_dir, ATTACHMENT_FILE)


def remember_attachment(device_path, mount_point):
    """Keep the provider's paths of the data volume (from prepare) and
    use them from now on."""
    values = {'device_path': device_path, 'mount_point': mount_point}
    operating_system.write_file(_attachment_path(), json.dumps(values))
    _apply(values)


def apply_remembered_attachment():
    """At agent start: the paths prepare was given, if it was."""
    try:
        with open(_attachment_path()) as source:
            values = json.load(source)
    except FileNotFoundError:
        return
    except ValueError as error:
        LOG.error('Ignoring %s: %s', _attachment_path(), error)
        return
    _apply(values)


def _apply(values):
    group = CONF.datastore_manager
    for name in ('device_path', 'mount_point'):
        if values.get(name):
            CONF.set_override(name, values[name], group=group)


def get_driver(name=None):
    name = name or CONF.volume_driver
    if name == 'directory':
        size_file = CONF.directory_volume_size_file
        if not size_file and CONF.datastore_manager in CONF:
            device = CONF.get(CONF.datastore_manager).device_path
            if device and os.path.isdir(device):
                size_file = os.path.join(device, DIRECTORY_SIZE_FILE)
        return DirectoryVolume(size_file)
    if name == 'block':
        return BlockVolume()
    raise errors.GuestAgentError('Unknown volume_driver %r' % name)
