"""Continuous archiving for point-in-time recovery, in the guest agent.

A periodic task ships every closed WAL segment (PostgreSQL) or binary log
(MariaDB) to the backup storage, gzipped and checksummed like a backup,
and reports each one (name, order, first/last event time, GTIDs, server
id, checksum) to the conductor, which keeps the archive index the API
computes the restorable window from. The same pass checks that the
objects shipped earlier still exist (one deleted behind our back becomes a
``missing`` row, hence a gap, and an instance fault) and deletes those
older than ``pitr_retention_days``.

The engine-specific part (which files are closed, what is in them) is a
``source`` from pitr_sources. The local index of what was shipped lives
in ``<guest_state_dir>/pitr-index.json``, so a restarted agent neither
ships a file twice nor forgets one.
"""

import json
import os
import threading
import time

from oslo_log import log as logging

from trove import storage as backup_storage
from trove.conductor import api as conductor_api
from trove.conf import CONF
from trove.guestagent import operating_system
from trove.guestagent.backup import pipeline
from trove.guestagent.backup import strategy as backup_strategy

LOG = logging.getLogger(__name__)

INDEX_FILE = 'pitr-index.json'
ARCHIVE_EVENT = 'pitr_archive'
# Seconds a single file may take to compress and upload.
SHIP_TIMEOUT = 3600


def object_name(instance_id, name):
    return '%s.%s.gz' % (instance_id, name)


class Index:
    """What this agent shipped, persisted as JSON."""

    def __init__(self, path=None):
        self.path = path or os.path.join(CONF.guest_state_dir, INDEX_FILE)
        data = {}
        try:
            with open(self.path) as stored:
                data = json.load(stored)
        except (OSError, ValueError):
            pass
        self.entries = data.get('entries', {})
        # Files that came with a restore: not this instance's history.
        self.skipped = set(data.get('skipped', []))
        self.last_closed = data.get('last_closed')

    def save(self):
        operating_system.write_file(self.path, json.dumps({
            'entries': self.entries, 'skipped': sorted(self.skipped),
            'last_closed': self.last_closed}), mode=0o600)


class Archiver:

    def __init__(self, source, instance_id=None, storage=None,
                 reporter=None):
        self.source = source
        self.instance_id = instance_id or CONF.guest_id
        self._storage = storage
        self._reporter = reporter
        self._lock = threading.Lock()

    @property
    def storage(self):
        if self._storage is None:
            self._storage = backup_storage.get_storage(
                CONF.storage_strategy)
        return self._storage

    def report(self, entries):
        if not entries:
            return
        if self._reporter is not None:
            self._reporter(entries)
            return
        from trove.common import context as trove_context
        context = trove_context.get_admin_context(project_id=CONF.tenant_id)
        conductor_api.API(context).pitr_archived(self.instance_id, entries)

    def run_once(self):
        """One pass: ship, verify, prune; returns the reported entries."""
        if not self._lock.acquire(blocking=False):
            return []
        try:
            index = Index()
            changed = self._ship(index)
            changed += self._verify(index)
            changed += self._prune(index)
            index.save()
            self.report(changed)
            return changed
        finally:
            self._lock.release()

    # Shipping ------------------------------------------------------------
    def _ship(self, index):
        shipped = []
        for name, path, closed_at in self.source.closed_files():
            if name in index.entries or name in index.skipped:
                continue
            entry = self.source.describe(name, path)
            entry.update(name=name, kind=self.source.kind,
                         closed_at=closed_at,
                         opened_at=index.last_closed or entry.get(
                             'opened_at') or entry.get('first_event'))
            try:
                saved = self._upload(name, path, entry)
            except Exception as error:
                # Retried on the next pass; the order of the files is kept.
                LOG.error('Could not archive %s: %s', name, error)
                entry.update(state='failed', reason=str(error)[:255])
                shipped.append(entry)
                break
            entry.update(state='archived', location=saved.location,
                         checksum=saved.checksum, size=saved.size)
            index.entries[name] = entry
            index.last_closed = closed_at
            shipped.append(entry)
            LOG.info('Archived %s (%d bytes)', name, saved.size)
        return shipped

    def _upload(self, name, path, entry):
        chain = pipeline.ProcessChain(
            [pipeline.Command([backup_strategy.tool('gzip'), '-c',
                               '-%d' % CONF.backup_compression_level,
                               path])],
            os.path.join(CONF.guest_state_dir, 'pitr-logs'),
            SHIP_TIMEOUT).start()

        def finish():
            chain.wait()
            return {'pitr_kind': entry['kind'], 'pitr_name': name,
                    'instance_id': self.instance_id}
        try:
            return self.storage.save(CONF.pitr_container,
                                     object_name(self.instance_id, name),
                                     chain.stdout, finish)
        except BaseException:
            chain.abort()
            raise

    # Verification and retention --------------------------------------------
    def _verify(self, index):
        lost = []
        for name, entry in sorted(index.entries.items()):
            if entry.get('state') != 'archived':
                continue
            try:
                self.storage.metadata(entry['location'])
            except backup_storage.ObjectNotFound:
                entry.update(state='missing',
                             reason='archive object %s is missing' % name)
                lost.append(dict(entry))
            except backup_storage.StorageError as error:
                LOG.warning('Could not check %s: %s', name, error)
        return lost

    def _prune(self, index):
        limit = time.time() - CONF.pitr_retention_days * 86400
        pruned = []
        for name, entry in sorted(index.entries.items()):
            if (entry.get('closed_at') or 0) >= limit:
                continue
            try:
                if entry.get('location'):
                    self.storage.delete(entry['location'])
            except backup_storage.StorageError as error:
                LOG.warning('Could not prune %s: %s', name, error)
                continue
            del index.entries[name]
            pruned.append(dict(entry, state='pruned'))
        return pruned


def mark_inherited(source):
    """Files already on the volume after a restore came from the source
    instance: never ship them as this instance's."""
    index = Index()
    for name, _path, _closed in source.closed_files(rotate=False):
        index.skipped.add(name)
    index.save()
