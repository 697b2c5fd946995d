"""Continuous archiving for point-in-time recovery, in the guest agent.

A periodic task ships every closed WAL segment (PostgreSQL) or binary log
(MariaDB) to the backup storage, gzipped and checksummed like a backup,
and reports each one (name, order, first/last event time, GTIDs, server
id, checksum) to the conductor, which keeps the archive index the API
computes the restorable window from. The same pass checks that the
objects shipped earlier still exist (one deleted behind our back becomes a
``missing`` row, hence a gap, and an instance fault).

When archiving is off (``pitr_enabled = false`` on this instance, or the
engine writes no log the archive could use), nothing is shipped and the
period is reported as one ``off`` marker, opened from the close of the
last file shipped and closed when archiving is back: the files closed
meanwhile are never shipped, so the window shows the period as a gap with
its reason instead of replaying logs with a hole in them.

The agent never deletes an archived object: the taskmanager prunes them
with the backups that need them (only the control DB knows which backups
are kept). A pruned object found gone is reported missing and ignored by
the conductor (the row is gone); entries for files gone from the disk too
are then dropped from the local index.

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
MARKER_KIND = 'off'
SWITCHED_OFF = 'archiving was switched off on the instance (pitr_enabled ' \
    '= false)'
# Seconds a single file may take to compress and upload.
SHIP_TIMEOUT = 3600
# Archived objects read back against their checksum per pass (the others
# are only checked to exist): the whole archive is read in turn.
CHECKSUMS_PER_PASS = 4


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
        # The open ``off`` marker while archiving is off.
        self.off = data.get('off')
        # The last object read back against its checksum (in name order).
        self.verified_up_to = data.get('verified_up_to')

    def save(self):
        operating_system.write_file(self.path, json.dumps({
            'entries': self.entries, 'skipped': sorted(self.skipped),
            'last_closed': self.last_closed, 'off': self.off,
            'verified_up_to': self.verified_up_to}), mode=0o600)


def _next_in_turn(names, after, count):
    """Up to ``count`` of the sorted ``names`` following ``after``,
    wrapping around to the first."""
    if not names:
        return []
    start = next((i for i, name in enumerate(names)
                  if after is None or name > after), 0)
    return [names[(start + i) % len(names)]
            for i in range(min(count, len(names)))]


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

    def run_once(self, enabled=True):
        """One pass: ship (or record that archiving is off), verify,
        tidy the local index; returns the reported entries."""
        if not self._lock.acquire(blocking=False):
            return []
        try:
            index = Index()
            why_off = SWITCHED_OFF if not enabled else \
                self._engine_not_archiving()
            if why_off:
                changed = self._switch_off(index, why_off)
            else:
                changed = self._switch_on(index)
                changed += self._ship(index)
            changed += self._verify(index)
            self._tidy(index)
            index.save()
            self.report(changed)
            return changed
        finally:
            self._lock.release()

    # Archiving off and on again --------------------------------------------
    def _engine_not_archiving(self):
        check = getattr(self.source, 'not_archiving', None)
        if check is None:
            return None
        try:
            return check()
        except Exception as error:
            LOG.warning('Could not tell whether the engine archives: %s',
                        error)
            return None

    def _switch_off(self, index, reason):
        """Open the ``off`` marker (once); nothing before the first file
        shipped is history worth a marker."""
        if index.off is not None or not (index.entries or index.last_closed):
            return []
        since = index.last_closed or time.time()
        index.off = {'name': 'archiving-off-%.6f' % since,
                     'kind': MARKER_KIND, 'state': 'off',
                     'opened_at': since, 'closed_at': None,
                     'reason': reason[:200]}
        LOG.warning('Archiving is off: %s', reason)
        return [dict(index.off)]

    def _switch_on(self, index):
        """Close the ``off`` marker: the files closed while it was open
        are left out (what they hold of the period is unknown), and the
        next file shipped opens where the marker closes."""
        if index.off is None:
            return []
        now = time.time()
        for name, _path, _closed in self.source.closed_files(rotate=False):
            if name not in index.entries:
                index.skipped.add(name)
        marker = dict(index.off, closed_at=now)
        index.off = None
        index.last_closed = now
        LOG.info('Archiving is on again')
        return [marker]

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
        """Every archived object still there; a few of them (in turn,
        ``CHECKSUMS_PER_PASS`` a pass) read back against their checksum,
        so a corrupt one is found without reading the whole archive each
        pass."""
        lost = []
        archived = sorted(name for name, entry in index.entries.items()
                          if entry.get('state') == 'archived')
        to_read = set(_next_in_turn(archived, index.verified_up_to,
                                    CHECKSUMS_PER_PASS))
        for name in archived:
            entry = index.entries[name]
            try:
                if name in to_read and entry.get('checksum'):
                    self.storage.verify(entry['location'], entry['checksum'])
                    index.verified_up_to = name
                else:
                    self.storage.metadata(entry['location'])
            except backup_storage.ObjectNotFound:
                entry.update(state='missing',
                             reason='archive object %s is missing' % name)
                lost.append(dict(entry))
            except backup_storage.ChecksumMismatch as error:
                entry.update(state='missing',
                             reason='archive object %s is corrupt (%s)'
                             % (name, error))
                lost.append(dict(entry))
            except backup_storage.StorageError as error:
                LOG.warning('Could not check %s: %s', name, error)
        return lost

    def _tidy(self, index):
        """Forget the files reported missing that are gone from the disk
        as well (pruned, or lost): nothing is left to ship or check."""
        lost = [name for name, entry in index.entries.items()
                if entry.get('state') == 'missing']
        if not lost:
            return
        try:
            on_disk = {name for name, _path, _closed
                       in self.source.closed_files(rotate=False)}
        except Exception as error:
            LOG.debug('Could not list the closed files: %s', error)
            return
        for name in lost:
            if name not in on_disk:
                del index.entries[name]


def mark_inherited(source):
    """Files already on the volume after a restore came from the source
    instance: never ship them as this instance's."""
    index = Index()
    for name, _path, _closed in source.closed_files(rotate=False):
        index.skipped.add(name)
    index.save()
