"""Point-in-time recovery in the API: the restorable window of an
instance and the choice of what a ``restoreTime`` restore replays.

The window comes from two things the control DB holds: the instance's
completed full backups (each consistent at the time it completed) and the
archive index (``pitr_archives``). Archived files in a row, with nothing
failed or missing between them, form a *run* covering from the close of
the file before the first to the close of the last. A backup completed
inside a run can be rolled forward to any time up to the run's end, so
each run with a backup in it gives one restorable range [first such
backup, end of run]. The ranges are the window; what lies between them
is a gap, with the reason (a missing or failed archive object, or no
archive at all).
"""

import calendar
import dataclasses
import datetime

from trove.backup import models as backup_models
from trove.common import exception
from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import pitr_index


# Tolerance for times read back from the ISO text of the window.
ROUNDING = 1e-3


@dataclasses.dataclass
class Range:
    start: float
    end: float
    archives: list
    backups: list       # (time, backup id), oldest first


def epoch(moment):
    if moment is None:
        return None
    return calendar.timegm(moment.utctimetuple()) + moment.microsecond / 1e6


def iso(seconds):
    if seconds is None:
        return None
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def parse_time(text):
    """An ISO 8601 time (UTC when no offset is given) as epoch seconds."""
    try:
        moment = datetime.datetime.fromisoformat(
            text.strip().replace('Z', '+00:00'))
    except (AttributeError, ValueError):
        raise exception.BadRequest(
            'restoreTime %r is not an ISO 8601 time (e.g. '
            '2026-12-05T12:00:00Z) nor "latest".' % (text,)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def runs(archives):
    """Consecutive archived rows, split where one failed or is missing;
    also returns the reason of each split (by position)."""
    found, current, reasons = [], [], []
    for row in archives:
        if row.state == 'archived' and row.location:
            current.append(row)
            continue
        if current:
            found.append(current)
            current = []
        reasons.append((row.opened_at or row.first_event or row.closed_at,
                        row.reason or '%s %s is %s' % (row.kind, row.name,
                                                       row.state)))
    if current:
        found.append(current)
    return found, reasons


def ranges(archives, backups):
    """The restorable ranges, oldest first."""
    found, _reasons = runs(archives)
    result = []
    for run in found:
        start = run[0].opened_at or run[0].first_event or run[0].closed_at
        end = max(r.closed_at or 0 for r in run)
        inside = sorted(b for b in backups if start <= b[0] <= end)
        if inside:
            result.append(Range(inside[0][0], end, run, inside))
    return result


def window_of(restorable, archives):
    if not restorable:
        return {'earliest': None, 'latest': None, 'gaps': []}
    _runs, reasons = runs(archives)
    gaps = []
    for before, after in zip(restorable, restorable[1:]):
        why = [text for moment, text in reasons
               if moment is None or before.end <= moment <= after.start]
        gaps.append({'from': iso(before.end), 'to': iso(after.start),
                     'reason': '; '.join(why) or 'no archived log covers '
                                                 'this period'})
    return {'earliest': iso(restorable[0].start),
            'latest': iso(restorable[-1].end), 'gaps': gaps}


def full_backups(context, instance_id):
    with db_api.reader(context) as session:
        rows = session.query(db_models.Backup).filter_by(
            instance_id=instance_id, deleted=False,
            state=states.BackupState.COMPLETED).all()
        return [(epoch(r.updated), r.id) for r in rows
                if r.parent_id is None and r.updated is not None]


def restorable(context, instance_id):
    archives = pitr_index.archives_of(context, instance_id)
    return ranges(archives, full_backups(context, instance_id)), archives


def window(context, instance_id):
    found, archives = restorable(context, instance_id)
    return window_of(found, archives)


def describe(window_view, archives=()):
    """The window in words, for a 400; ``archives`` adds why the archive
    stops being restorable after the latest time (a lost object with no
    full backup after it)."""
    if window_view['earliest'] is None:
        text = 'it has no restorable window yet (a full backup and the ' \
               'archived logs after it are needed)'
    else:
        text = 'its restorable window is %s to %s' % (
            window_view['earliest'], window_view['latest'])
    if window_view['gaps']:
        text += ', except %s' % ', '.join(
            '%s to %s (%s)' % (g['from'], g['to'], g['reason'])
            for g in window_view['gaps'])
    latest = (parse_time(window_view['latest'])
              if window_view['latest'] else None)
    _runs, reasons = runs(archives)
    after = [why for moment, why in reasons
             if latest is None or moment is None
             or moment >= latest - ROUNDING]
    if after:
        text += '; after it %s (a new full backup starts a new range)' \
            % '; '.join(after)
    return text


@dataclasses.dataclass
class Point:
    backup: object
    source_instance_id: str
    target: float | None         # None: latest
    archives: list

    def work_args(self):
        return {'target': self.target, 'archives': [
            {'name': r.name, 'location': r.location,
             'checksum': r.checksum, 'last_event': r.last_event}
            for r in self.archives]}


def resolve(context, restore_point):
    """The backup and archive run of a restorePoint with restoreTime;
    400 naming the window when the time is not restorable."""
    backup_ref = restore_point.get('backupRef')
    instance_ref = restore_point.get('instanceRef')
    backup = None
    if backup_ref:
        backup = backup_models.load(context, backup_ref)
        source = backup.instance_id
        if instance_ref and instance_ref != source:
            raise exception.BadRequest(
                'Backup %s was not taken from instance %s.'
                % (backup_ref, instance_ref))
    elif instance_ref:
        from trove.instance import models as instance_models
        source = instance_models.load(context, instance_ref).id
    else:
        raise exception.BadRequest(
            'restorePoint with restoreTime needs backupRef or instanceRef.')
    found, archives = restorable(context, source)
    view = window_of(found, archives)
    wanted = restore_point['restoreTime']
    latest = isinstance(wanted, str) and wanted.strip().lower() == 'latest'
    if latest:
        if not found:
            raise exception.BadRequest(
                'Instance %s cannot be restored to its latest time: %s.'
                % (source, describe(view, archives)))
        chosen, target = found[-1], found[-1].end
    else:
        target = parse_time(wanted)
        # The window's ISO times are rounded to the microsecond: a time
        # copied from it matches its range.
        chosen = next((r for r in found
                       if r.start - ROUNDING <= target <= r.end + ROUNDING),
                      None)
        if chosen is not None:
            target = min(max(target, chosen.start), chosen.end)
        if chosen is None:
            raise exception.BadRequest(
                'restoreTime %s is outside the restorable window of '
                'instance %s: %s.' % (iso(target), source,
                                      describe(view, archives)))
    candidates = [b for b in chosen.backups if b[0] <= target]
    if backup is not None:
        ours = [b for b in candidates if b[1] == backup.id]
        if not ours:
            raise exception.BadRequest(
                'Backup %s cannot be rolled forward to %s: it completed '
                'after that time or is not a full backup followed by the '
                'archive (%s).' % (backup.id, iso(target), describe(view)))
    else:
        backup = backup_models.load(context, candidates[-1][1])
    return Point(backup, source, None if latest else target,
                 chosen.archives)


def restore_view(context, instance_id):
    """``restored_to`` of an instance made by a point-in-time restore."""
    row = pitr_index.restore_of(context, instance_id)
    if row is None:
        return None
    return {'restoreTime': iso(row.target) if row.target is not None
            else 'latest', 'reached': iso(row.reached),
            'backupRef': row.backup_id,
            'instanceRef': row.source_instance_id}
