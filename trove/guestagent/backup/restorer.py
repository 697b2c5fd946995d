"""Restoring a new instance from a backup, during its prepare.

The chain is read from the storage itself: each backup's metadata names
its parent (location and checksum), up to the full backup. Backups are
streamed from the storage through ``gzip -d`` into the strategy's unpack
tool, oldest first, each checked against its checksum as it streams; a
mismatch fails the restore (and so the prepare, with a fault saying why).
The bytes written so far (with the percent when ``backup_info`` has the
chain's size, ``bytes``) are reported through the conductor while it runs.
"""

import os
import shutil
import time

from oslo_log import log as logging

from trove import storage as backup_storage
from trove.conf import CONF
from trove.guestagent import errors
from trove.guestagent.backup import pipeline, pitr, runner
from trove.guestagent.backup import strategy as backup_strategy

LOG = logging.getLogger(__name__)

# Longer chains mean a loop in the metadata (or a storage bug).
MAX_CHAIN = 1000


def resolve_chain(storage, location, checksum):
    """The backups to apply, full one first, as strategy.Link objects."""
    links = []
    seen = set()
    while location:
        if location in seen or len(links) >= MAX_CHAIN:
            raise errors.GuestAgentError(
                'The parents of backup %s form a loop.' % location)
        seen.add(location)
        metadata = storage.metadata(location)
        link = backup_strategy.Link(location, checksum, metadata)
        links.append(link)
        location = link.parent_location
        checksum = metadata.get('parent_checksum')
    return list(reversed(links))


class RestoreProgress:
    """Bytes of the chain written into the unpack tools, reported every
    ``interval`` seconds (with the percent when the chain's size is
    known) to ``report``."""

    def __init__(self, backup_id, report, total=None, interval=2.0,
                 clock=time.monotonic):
        self.backup_id = backup_id
        self.report = report
        self.total = total or None
        self.interval = interval
        self.clock = clock
        self.started = self.last = clock()
        self.written = 0

    def fields(self, done=False, now=None):
        now = self.clock() if now is None else now
        fields = runner.progress_fields(
            self.written, now - self.started,
            self.written if self.total else None, self.total)
        if done and self.total:
            fields.update(percent=100, eta_s=0)
        fields['backup_id'] = self.backup_id
        return fields

    def add(self, count):
        self.written += count
        now = self.clock()
        if self.report is not None and now - self.last >= self.interval:
            self.last = now
            self.report(self.fields(now=now))

    def finish(self):
        if self.report is not None:
            self.report(self.fields(done=True))


class Extractor:
    """Streams one backup of the chain into an unpack command."""

    def __init__(self, storage, log_dir, progress=None):
        self.storage = storage
        self.log_dir = log_dir
        self.progress = progress

    def __call__(self, link, command):
        LOG.info('Unpacking %s with %s', link.location,
                 command.display_name)
        chain = pipeline.ProcessChain(
            [backup_strategy.decompressor(), command], self.log_dir,
            CONF.restore_usage_timeout, feed=True, read=False).start()
        try:
            for chunk in self.storage.load(link.location, link.checksum):
                chain.stdin.write(chunk)
                if self.progress is not None:
                    self.progress.add(len(chunk))
        except BrokenPipeError as error:
            # The unpack tool stopped reading: wait() says why.
            chain.wait()
            raise pipeline.PipelineError(
                '%s stopped reading the backup.' % chain.describe(),
                chain.details()) from error
        except BaseException:
            chain.abort()
            raise
        chain.wait()


def pitr_storage(context):
    """The storage of the archived logs (this deployment's default)."""
    return backup_storage.get_storage(
        CONF.storage_strategy, token=getattr(context, 'auth_token', None))


def _progress_reporter(manager):
    status = getattr(manager, 'status', None)
    return getattr(status, 'report_progress', None)


def restore_backup(manager, strategy_class, context, backup_info,
                   start=True):
    """Fill the data directory from the backup and (with ``start``) start
    the engine with this instance's credentials; returns the strategy.
    GuestAgentError saying why otherwise."""
    backup_id = backup_info.get('id')
    work_dir = runner.work_dir_for('restore-%s' % backup_id)
    os.makedirs(work_dir, mode=0o700, exist_ok=True)
    try:
        storage = runner.storage_for(context, backup_info)
        links = resolve_chain(storage, backup_info['location'],
                              backup_info.get('checksum'))
        LOG.info('Restoring backup %s: %d backup(s) to apply', backup_id,
                 len(links))
        strategy = strategy_class(manager.engine, work_dir)
        progress = RestoreProgress(
            backup_id, _progress_reporter(manager),
            total=backup_info.get('bytes'),
            interval=CONF.backup_progress_interval)
        strategy.restore(links, Extractor(storage, strategy.log_dir,
                                          progress))
        progress.finish()
        LOG.info('Backup %s unpacked into the data directory', backup_id)
        point = backup_info.get('pitr')
        if point:
            pitr.before_start(manager, strategy, pitr_storage(context),
                              point, links)
        if start:
            strategy.start_restored()
            if point:
                pitr.after_start(manager, strategy, pitr_storage(context),
                                 point, context)
    except backup_storage.ChecksumMismatch as error:
        raise errors.GuestAgentError(
            'Restoring backup %s failed: its data does not match its '
            'checksum (%s)' % (backup_id, error.message),
            error.details) from error
    except errors.GuestAgentError as error:
        raise errors.GuestAgentError(
            'Restoring backup %s failed: %s' % (backup_id, error.message),
            error.details) from error
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    LOG.info('Backup %s restored', backup_id)
    return strategy
