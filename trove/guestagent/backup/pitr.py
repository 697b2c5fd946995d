"""Point-in-time recovery in the guest: which engine module to use, the
archive download shared by both, and the hooks the restorer calls.

``backup_info['pitr']`` (from the taskmanager) carries ``target`` (epoch
seconds, or None for "latest") and ``archives``: the index rows of the
archive run the restore replays, oldest first (name, location,
checksum, last_event).
"""

import os
import zlib

from oslo_log import log as logging

from trove.conductor import api as conductor_api
from trove.conf import CONF
from trove.guestagent import errors
from trove.guestagent.backup import archiver

LOG = logging.getLogger(__name__)


def engine_module(manager_name):
    if manager_name == 'postgresql':
        from trove.guestagent.backup import pitr_postgresql
        return pitr_postgresql
    if manager_name == 'mariadb':
        from trove.guestagent.backup import pitr_mariadb
        return pitr_mariadb
    return None


def source_for(manager):
    module = engine_module(manager.manager_name)
    return module.Source(manager.engine) if module else None


def downloader(storage):
    """``download(archives, directory)``: each archive object, checked
    against its checksum and gunzipped, as ``directory/<name>``; returns
    the paths in order."""
    def download(archives, directory):
        paths = []
        for archive in archives:
            path = os.path.join(directory, archive['name'])
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            with open(path, 'wb') as target:
                for chunk in storage.load(archive['location'],
                                          archive.get('checksum')):
                    target.write(inflate.decompress(chunk))
                target.write(inflate.flush())
            paths.append(path)
        LOG.info('Downloaded %d archived log(s) into %s', len(paths),
                 directory)
        return paths
    return download


def before_start(manager, strategy, storage, pitr, links):
    if manager.manager_name == 'postgresql':
        from trove.guestagent.backup import pitr_postgresql
        pitr_postgresql.prepare(strategy, pitr, downloader(storage),
                                links[-1].metadata.get('stop_wal_file'))


def after_start(manager, strategy, storage, pitr, context):
    """Roll forward (MariaDB), then report the time reached."""
    module = engine_module(manager.manager_name)
    if module is None:
        raise errors.NotSupported('Point-in-time restore is not supported '
                                  'for %s.' % manager.manager_name)
    if manager.manager_name == 'mariadb':
        reached = module.replay(strategy, pitr, downloader(storage))
    else:
        reached = module.finish(strategy, pitr)
    LOG.info('Point-in-time restore reached %s (target %s)', reached,
             pitr.get('target'))
    archiver.mark_inherited(module.Source(manager.engine))
    try:
        conductor_api.API(context).pitr_restored(CONF.guest_id, reached)
    except Exception:
        LOG.exception('Could not report the time reached')
    return reached


def run_archiver(manager):
    """The periodic task, once the instance is prepared; with
    ``pitr_enabled`` off it only records that archiving is off."""
    # A stopped engine's closed logs are shipped too: they bound the loss
    # of a latest restore after the engine died.
    if not manager.status.is_prepared:
        return
    if getattr(manager, '_archiver', None) is None:
        source = source_for(manager)
        if source is None:
            return
        manager._archiver = archiver.Archiver(source)
    try:
        manager._archiver.run_once(enabled=CONF.pitr_enabled)
    except Exception:
        LOG.exception('Archiving pass failed')


def interval(manager_name):
    if manager_name == 'postgresql':
        return CONF.archive_timeout
    return CONF.binlog_archive_interval
