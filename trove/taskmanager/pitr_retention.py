"""Retention of the point-in-time recovery archive: archived WAL segments
and binary logs are pruned with the backups that need them.

An index row (and its object) goes when both hold:

* it is older than ``pitr_retention_days`` (by the time its file closed,
  or a marker's period ended);
* no kept backup needs it to roll forward: it closed before the oldest
  backup a point-in-time restore can still start from (a completed, kept
  full backup, or an incremental one with its chain whole) *started*.
  A file closed before a backup started holds nothing after the position
  that backup is consistent at.

The deployment-wide periodic check prunes every instance's archive
(deleted instances included: their backups can still be rolled forward);
deleting a backup prunes its instance's archive at once, so the files only
that backup needed go with it once they are past the retention.

The taskmanager decides and deletes, because only the control DB knows
which backups are kept; the guest that shipped a file never deletes it
(it reports a pruned object it finds gone as missing, and the conductor
ignores that report for a row that is no longer there).
"""

import time

from oslo_log import log as logging

from trove import storage as backup_storage
from trove.conf import CONF
from trove.records import events, pitr_index

LOG = logging.getLogger(__name__)


def prunable(rows, bases, now, retention_days):
    """The rows of one instance's archive that can go now."""
    limit = now - retention_days * 86400
    needed_from = min((b.started for b in bases), default=None)
    doomed = []
    for row in rows:
        end = row.closed_at
        if end is None and row.kind == pitr_index.MARKER_KIND:
            continue            # archiving is still off: the period lasts
        end = end if end is not None else (row.opened_at or 0)
        if end >= limit:
            continue
        if needed_from is not None and end >= needed_from:
            continue
        doomed.append(row)
    return doomed


def _delete_object(row):
    if row.state != 'archived' or not row.location:
        return True
    try:
        storage = backup_storage.get_storage(
            backup_storage.driver_of(row.location))
        storage.delete(row.location)
    except backup_storage.ObjectNotFound:
        pass
    except backup_storage.StorageError as error:
        LOG.warning('Could not prune archive object %s: %s', row.location,
                    error)
        return False
    return True


def prune_instance(context, instance_id, now=None):
    """Prune one instance's archive; returns the names pruned."""
    rows = pitr_index.archives_of(context, instance_id)
    bases = pitr_index.base_backups(context, instance_id)
    doomed = prunable(rows, bases, now if now is not None else time.time(),
                      CONF.pitr_retention_days)
    gone = [row for row in doomed if _delete_object(row)]
    pitr_index.forget(context, instance_id, [row.id for row in gone])
    if gone:
        LOG.info('Pruned %d archived file(s) of instance %s (%s to %s)',
                 len(gone), instance_id, gone[0].name, gone[-1].name)
        events.record(
            context, instance_id, events.PITR,
            'Point-in-time recovery: retention pruned %d archived file(s), '
            '%s to %s: older than %d day(s) and needed by no kept backup.'
            % (len(gone), gone[0].name, gone[-1].name,
               CONF.pitr_retention_days), actor='system')
    return [row.name for row in gone]


def prune(context, now=None):
    """The periodic check: prune every instance's archive."""
    pruned = {}
    for instance_id in pitr_index.instances_with_archives(context):
        try:
            names = prune_instance(context, instance_id, now)
        except Exception:
            LOG.exception('Pruning the archive of %s failed', instance_id)
            continue
        if names:
            pruned[instance_id] = names
    return pruned
