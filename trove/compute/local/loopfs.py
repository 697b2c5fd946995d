"""Volumes of a fixed size: an ext4 filesystem in a sparse file,
loop-mounted on the volume's ``mount/`` directory.

Used when ``[local] volume_backend = loop`` (needs root and loop
devices). The image is ``<volume dir>/volume.img``; the filesystem has
no blocks reserved for root, so "full" means the engine's writes fail.
The mounted root keeps the owner and mode the directory had, and has no
``lost+found`` (an engine would take it for a database).
"""

import os
import subprocess

from oslo_log import log as logging

from trove.common import exception

LOG = logging.getLogger(__name__)

GB = 1024 ** 3
IMAGE = 'volume.img'
TIMEOUT = 120


def _run(*command):
    try:
        result = subprocess.run(list(command), capture_output=True,
                                text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise exception.ComputeError(reason='%s: %s' % (command[0], error))
    if result.returncode != 0:
        raise exception.ComputeError(reason='%s failed: %s' % (
            ' '.join(command), (result.stderr or result.stdout).strip()))
    return result.stdout


def image_path(volume_dir):
    return os.path.join(volume_dir, IMAGE)


def create(volume_dir, mount_dir, size_gb):
    """A new filesystem of ``size_gb`` mounted on ``mount_dir``."""
    image = image_path(volume_dir)
    with open(image, 'wb') as handle:
        handle.truncate(int(size_gb) * GB)
    _run('mkfs.ext4', '-F', '-q', '-m', '0', image)
    mount(volume_dir, mount_dir)
    lost = os.path.join(mount_dir, 'lost+found')
    if os.path.isdir(lost):
        os.rmdir(lost)


def mount(volume_dir, mount_dir):
    """Mount the volume's filesystem (nothing if it is mounted)."""
    if os.path.ismount(mount_dir):
        return
    before = os.stat(mount_dir)
    _run('mount', '-o', 'loop', image_path(volume_dir), mount_dir)
    os.chown(mount_dir, before.st_uid, before.st_gid)
    os.chmod(mount_dir, before.st_mode & 0o7777)


def loop_device(volume_dir):
    """The loop device backing the image, or None."""
    out = _run('losetup', '-j', image_path(volume_dir))
    for line in out.splitlines():
        if ':' in line:
            return line.split(':', 1)[0]
    return None


CAP_SYS_RESOURCE = 24


def can_grow_online():
    """Whether this process may grow a mounted ext4 (the kernel wants
    CAP_SYS_RESOURCE, which containers often drop even for root)."""
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith('CapEff:'):
                    return bool(int(line.split()[1], 16)
                                & (1 << CAP_SYS_RESOURCE))
    except (OSError, ValueError):
        pass
    return False


def grow(volume_dir, mount_dir, size_gb, online=True):
    """Grow the image to ``size_gb`` and its filesystem with it: mounted
    (``losetup -c`` and resize2fs) or, if not ``online``, unmounted
    (checked, grown, mounted again: nothing may use it meanwhile)."""
    image = image_path(volume_dir)
    with open(image, 'r+b') as handle:
        if os.fstat(handle.fileno()).st_size < int(size_gb) * GB:
            handle.truncate(int(size_gb) * GB)
    if not online:
        if os.path.ismount(mount_dir):
            _run('umount', mount_dir)
        try:
            _check(image)
            _run('resize2fs', image)
        finally:
            mount(volume_dir, mount_dir)
        return
    mount(volume_dir, mount_dir)
    device = loop_device(volume_dir)
    if device is None:
        raise exception.ComputeError(
            reason='no loop device backs %s' % image)
    _run('losetup', '-c', device)
    _run('resize2fs', device)


def _check(image):
    """e2fsck -f -y (resize2fs wants a checked filesystem); 1 means
    errors were corrected, which is fine."""
    result = subprocess.run(['e2fsck', '-f', '-y', image],
                            capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode not in (0, 1):
        raise exception.ComputeError(reason='e2fsck %s failed (%d): %s' % (
            image, result.returncode, (result.stdout + result.stderr)
            .strip()[-500:]))


def remove(volume_dir, mount_dir):
    """Unmount the filesystem (its loop device is freed) and delete the
    image; nothing if there is none."""
    if os.path.ismount(mount_dir):
        _run('umount', mount_dir)
    image = image_path(volume_dir)
    if os.path.exists(image):
        device = None
        try:
            device = loop_device(volume_dir)
        except exception.ComputeError as error:
            LOG.warning('Loop devices of %s unknown: %s', image, error)
        if device:
            _run('losetup', '-d', device)
        os.unlink(image)
