"""Freshly initialised data directories kept as templates on one host.

When several instances share a host (the local provider), each new
instance would otherwise run its engine's initialisation (for MariaDB,
mariadb-install-db: a bootstrap server creating the system tables, about
0.35 CPU seconds and half a second). A data directory straight out of
that initialisation holds nothing of the instance: the accounts are the
host's bootstrap account (unix_socket for the agent's OS user) until
``secure()`` replaces them. So the first instance of an engine version
and set of initialisation settings builds one template under
``[DEFAULT] engine_template_dir``; the next ones copy it (about 0.08 CPU
seconds).

* The template's key is a hash of everything its contents depend on
  (the caller's ``key_material``: engine version, command, settings), so
  another version or setting gets a template of its own.
* One agent builds a template at a time (an flock per key); it is built
  in a temporary directory and renamed into place only once complete,
  so a crash never leaves a partial template behind.
* Files are copied sparse (zero chunks left as holes).
* The copy goes to a sibling of the data directory and is renamed onto
  it, so a crash mid-copy leaves an uninitialised data directory (the
  next prepare starts again), never a partial one.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil

from oslo_log import log as logging

from trove.guestagent import operating_system

LOG = logging.getLogger(__name__)


def template_key(key_material):
    text = json.dumps(key_material, sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@contextlib.contextmanager
def _exclusive(path):
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _ensure_template(root, name, build, owner):
    """The path of the template ``name`` under ``root``, built first with
    ``build(directory)`` (a directory ``owner``, the engine's user, may
    write) if this host has none yet."""
    template = os.path.join(root, name)
    if os.path.isdir(template):
        return template
    with _exclusive(template + '.lock'):
        if os.path.isdir(template):      # built while we waited
            return template
        building = os.path.join(root, '.building-%s' % name)
        shutil.rmtree(building, ignore_errors=True)
        operating_system.ensure_dir(building, 0o750, owner)
        try:
            build(building)
            os.rename(building, template)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        LOG.info('Built the data directory template %s', template)
    return template


_CHUNK = 65536
_ZEROS = bytes(_CHUNK)


def _copy_sparse(source, target):
    """Copy a file leaving its all-zero chunks as holes: a fresh InnoDB
    system tablespace is 86% zeros and its redo log almost all, so the
    copy writes a few MB instead of the whole size."""
    with open(source, 'rb') as reader, open(target, 'wb') as writer:
        while True:
            chunk = reader.read(_CHUNK)
            if not chunk:
                break
            if chunk == _ZEROS[:len(chunk)]:
                writer.seek(len(chunk), os.SEEK_CUR)
            else:
                writer.write(chunk)
        writer.truncate()
    shutil.copymode(source, target)
    return target


def initialize(root, kind, key_material, build, data_dir, owner=None):
    """Fill the empty ``data_dir`` from this host's template for
    ``key_material``, building the template first (``build(directory)``
    initialises a data directory in ``directory`` as the engine's user
    ``owner``). False, having done nothing, when ``data_dir`` is not
    empty or the template directory cannot be used (the caller then
    initialises ``data_dir`` itself). The caller gives the copy to the
    engine's user."""
    if os.listdir(data_dir):
        return False
    mode = os.stat(data_dir).st_mode & 0o7777
    staging = data_dir.rstrip('/') + '.from-template'
    try:
        # Other users (the engine's) may pass through, not list.
        operating_system.ensure_dir(root, 0o711)
        template = _ensure_template(
            root, '%s-%s' % (kind, template_key(key_material)), build,
            owner)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(template, staging, symlinks=True,
                        copy_function=_copy_sparse)
        os.rmdir(data_dir)
        os.rename(staging, data_dir)
    except OSError as error:
        # A host-level cache must not fail a create that initialising
        # the instance's own directory would not (full or read-only
        # template directory, its permissions...).
        LOG.warning('Could not use the data directory template in %s '
                    '(%s); initialising the data directory itself', root,
                    error)
        shutil.rmtree(staging, ignore_errors=True)
        operating_system.ensure_dir(data_dir, mode, owner)
        return False
    os.chmod(data_dir, mode)
    LOG.info('Data directory %s copied from the template %s', data_dir,
             template)
    return True
