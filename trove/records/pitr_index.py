"""The archive index of point-in-time recovery, as the conductor writes it
from guest reports, the backups a point-in-time restore can start from,
and the restores made from it.

Besides one row per shipped file, the index holds *markers*: rows of
kind ``off`` (state ``off``) for a period the guest shipped nothing
because archiving was switched off on the instance or the engine wrote no
log; ``opened_at`` is where the period starts, ``closed_at`` where it
ended (None while it lasts). They are ordered among the files by time.
"""

import calendar
import collections

from oslo_log import log as logging

from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)

COLUMNS = ('kind', 'seq', 'location', 'checksum', 'size', 'server_id',
           'first_gtid', 'last_gtid', 'first_event', 'last_event',
           'closed_at', 'opened_at', 'state', 'reason')
STATES = ('archived', 'failed', 'missing', 'off')
MARKER_KIND = 'off'

# A backup a point-in-time restore can start from: completed at ``time``
# (epoch), started at ``started``; ``parent_id`` None for a full one.
Base = collections.namedtuple('Base', 'time id started parent_id')


def _value(column, value):
    if value is None:
        return None
    if column in ('seq', 'size'):
        return int(value)
    if column in ('first_event', 'last_event', 'closed_at', 'opened_at'):
        return float(value)
    return str(value)[:255] if column != 'location' else str(value)


def record(context, instance_id, entries, noticed=None):
    """Upsert the reported rows (``pruned`` ones are deleted); returns the
    entries that newly became missing. ``noticed`` (a list) gets the
    other changes a user should hear of: an upload that newly failed, a
    period with archiving off that began or ended, a file archived after
    files that never were."""
    lost = []
    noticed = noticed if noticed is not None else []
    with db_api.writer(context) as session:
        for entry in entries:
            name = entry.get('name')
            if not name:
                continue
            row = session.query(db_models.PitrArchive).filter_by(
                instance_id=instance_id, name=str(name)).first()
            if entry.get('state') == 'pruned':
                if row is not None:
                    session.delete(row)
                continue
            if entry.get('state') not in STATES:
                LOG.warning('Archive entry %s of %s has state %r; ignored',
                            name, instance_id, entry.get('state'))
                continue
            if row is None and entry['state'] == 'missing':
                # Retention pruned it (object and row) before the guest
                # noticed the object was gone.
                LOG.debug('Archive entry %s of %s was pruned', name,
                          instance_id)
                continue
            new = row is None
            if new:
                row = db_models.PitrArchive(instance_id=instance_id,
                                            name=str(name))
                session.add(row)
            elif row.state == 'archived' and entry['state'] == 'failed':
                continue    # a retry that failed does not undo an upload
            if entry['state'] == 'missing' and row.state != 'missing':
                lost.append(entry)
            elif entry['state'] == 'failed' and row.state != 'failed':
                noticed.append(entry)
            elif entry['state'] == 'off' and (
                    row.state != 'off' or
                    (row.closed_at is None) != (entry.get('closed_at')
                                                is None)):
                noticed.append(entry)
            for column in COLUMNS:
                if column in entry:
                    setattr(row, column, _value(column, entry[column]))
            if new and row.state == 'archived':
                session.flush()
                skipped = _skipped_before(session, row)
                if skipped:
                    noticed.append(skipped)
    return lost


def follows(before, after):
    """Whether file ``after`` comes right after file ``before`` (a WAL
    segment number carries into its high half at the end of a log)."""
    if before.seq is None or after.seq is None or before.kind != after.kind:
        return True
    if after.seq == before.seq + 1:
        return True
    return (after.kind == 'wal' and after.seq & 0xFFFFFFFF == 0
            and after.seq >> 32 == (before.seq >> 32) + 1)


def skipped_reason(before, after):
    return ('the log files between %s and %s were never archived '
            '(archiving was off or they were removed before they could be '
            'shipped)' % (before.name, after.name))


def _skipped_before(session, row):
    """The notice of files left out before a newly archived ``row``
    (none when a period with archiving off explains them)."""
    if row.seq is None:
        return None
    table = db_models.PitrArchive
    before = session.query(table).filter(
        table.instance_id == row.instance_id, table.kind == row.kind,
        table.seq < row.seq).order_by(table.seq.desc()).first()
    if before is None or follows(before, row):
        return None
    explained = session.query(table).filter(
        table.instance_id == row.instance_id, table.kind == MARKER_KIND,
        table.opened_at >= (before.closed_at or 0) - 1,
        table.opened_at <= (row.closed_at or 0)).count()
    if explained:
        return None
    return {'state': 'skipped', 'name': row.name,
            'reason': skipped_reason(before, row)}


def notice(entry):
    """The event of a noticed entry, in words."""
    if entry.get('state') == 'skipped':
        return ('Point-in-time recovery: %s; the restorable window has a '
                'gap there until a new backup is taken after it.'
                % entry['reason'])
    if entry.get('state') == 'failed':
        return ('Point-in-time recovery: the upload of %s to the archive '
                'failed (%s); it is retried, and until it succeeds the '
                'restorable window does not advance.'
                % (entry.get('name'), entry.get('reason') or 'no reason'))
    if entry.get('closed_at') is None:
        return ('Point-in-time recovery: %s; nothing is archived, and the '
                'restorable window does not advance until archiving is on '
                'again and a new backup is taken.'
                % (entry.get('reason') or 'archiving is off'))
    return ('Point-in-time recovery: archiving is on again; the period it '
            'was off is a gap in the restorable window (%s).'
            % (entry.get('reason') or 'archiving was off'))


def is_marker(row):
    return row.kind == MARKER_KIND


def ordered(rows):
    """Files by their order, each marker before the first file closed
    after the marker's period began."""
    files = sorted((r for r in rows if not is_marker(r)),
                   key=lambda r: (r.seq if r.seq is not None else -1,
                                  r.closed_at or 0))
    markers = sorted((r for r in rows if is_marker(r)),
                     key=lambda r: r.opened_at or 0)
    result = []
    for row in files:
        while markers and (row.closed_at or 0) > (markers[0].opened_at
                                                  or 0):
            result.append(markers.pop(0))
        result.append(row)
    return result + markers


def archives_of(context, instance_id):
    with db_api.reader(context) as session:
        rows = session.query(db_models.PitrArchive).filter_by(
            instance_id=instance_id).all()
        session.expunge_all()
    return ordered(rows)


def epoch(moment):
    if moment is None:
        return None
    return calendar.timegm(moment.utctimetuple()) + moment.microsecond / 1e6


def base_backups(context, instance_id):
    """The backups of an instance a point-in-time restore can start from,
    oldest first: completed and kept, full or incremental with every
    backup of its chain completed and kept (a restore applies the chain,
    then replays the archive from the last one)."""
    with db_api.reader(context) as session:
        rows = session.query(db_models.Backup).filter_by(
            instance_id=instance_id, deleted=False).all()
        kept = {r.id: (r.state, r.parent_id, epoch(r.updated),
                       epoch(r.created)) for r in rows}
    found = []
    for backup_id, (state, parent_id, completed, started) in kept.items():
        if state != states.BackupState.COMPLETED or completed is None:
            continue
        parent, seen = parent_id, {backup_id}
        while parent is not None and parent not in seen:
            seen.add(parent)
            if kept.get(parent, (None,))[0] != states.BackupState.COMPLETED:
                break
            parent = kept[parent][1]
        else:
            found.append(Base(completed, backup_id, started or completed,
                              parent_id))
    return sorted(found)


def instances_with_archives(context):
    with db_api.reader(context) as session:
        return [value for (value,) in session.query(
            db_models.PitrArchive.instance_id).distinct()]


def forget(context, instance_id, ids):
    """Delete index rows (their objects are gone)."""
    if not ids:
        return
    with db_api.writer(context) as session:
        session.query(db_models.PitrArchive).filter(
            db_models.PitrArchive.instance_id == instance_id,
            db_models.PitrArchive.id.in_(list(ids))).delete(
                synchronize_session=False)


def create_restore(session, instance_id, source_instance_id, backup_id,
                   target):
    session.add(db_models.PitrRestore(
        instance_id=instance_id, source_instance_id=source_instance_id,
        backup_id=backup_id, target=target))


def restore_of(context, instance_id):
    """The point-in-time restore record of an instance (None: it was
    not made by one)."""
    with db_api.reader(context) as session:
        row = session.get(db_models.PitrRestore, instance_id)
        if row is not None:
            session.expunge(row)
        return row


def record_reached(context, instance_id, reached):
    with db_api.writer(context) as session:
        row = session.get(db_models.PitrRestore, instance_id)
        if row is None:
            LOG.warning('No point-in-time restore of %s to record',
                        instance_id)
            return
        row.reached = float(reached) if reached is not None else None
