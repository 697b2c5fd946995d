"""Point-in-time recovery in the API: the restorable window of an
instance and the choice of what a ``restoreTime`` restore replays.

The window comes from two things the control DB holds: the instance's
completed backups (full ones, and incremental ones whose chain is whole;
each consistent at the time it completed) and the archive index
(``pitr_archives``). Archived files in a row, with nothing failed or
missing between them, no file left out (a break in their numbering) and
no period with archiving off, form a *run* covering from the close of the
file before the first to the close of the last. A backup completed inside
a run can be rolled forward to any time up to the run's end, so each run
with a backup in it gives one restorable range [first such backup, end of
run]. The ranges are the window; what lies between them is a gap, with
the reason (a missing or failed archive object, files never archived,
archiving off, or no archive at all); a break after the last range is a
gap open at its end (``to`` None) until a new backup starts a range.
"""

import dataclasses
import datetime

from trove.backup import models as backup_models
from trove.common import exception
from trove.records import pitr_index


# Tolerance for times read back from the ISO text of the window.
ROUNDING = 1e-3


@dataclasses.dataclass
class Range:
    start: float
    end: float
    archives: list
    backups: list       # (time, backup id), oldest first


epoch = pitr_index.epoch


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


follows = pitr_index.follows


def break_reason(row):
    if row.state == 'off':
        since = iso(row.opened_at)
        why = row.reason or 'archiving was off'
        if row.closed_at is None:
            return '%s since %s; nothing is archived' % (why, since)
        return '%s from %s to %s; nothing was archived then' % (
            why, since, iso(row.closed_at))
    if row.state == 'failed':
        return 'the upload of %s %s to the archive failed%s' % (
            row.kind, row.name, ': %s' % row.reason if row.reason else '')
    return row.reason or '%s %s is %s' % (row.kind, row.name, row.state)


def runs(archives):
    """Consecutive archived rows, split where one failed or is missing,
    where files were left out and at a period with archiving off; also
    returns each split's (time, reason)."""
    found, current, reasons = [], [], []

    def split(moment, reason):
        if current:
            found.append(list(current))
            current.clear()
        reasons.append((moment, reason))

    for row in archives:
        if row.state == 'archived' and row.location:
            if current and not follows(current[-1], row):
                split(current[-1].closed_at,
                      pitr_index.skipped_reason(current[-1], row))
            current.append(row)
            continue
        split(row.opened_at or row.first_event or row.closed_at,
              break_reason(row))
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
    after = [text for moment, text in reasons
             if moment is None or moment >= restorable[-1].end - ROUNDING]
    if after:
        # The archive cannot be rolled forward past this until a new
        # backup starts a range after it.
        gaps.append({'from': iso(restorable[-1].end), 'to': None,
                     'reason': '; '.join(after) + ' (a new backup starts '
                               'a new range)'})
    return {'earliest': iso(restorable[0].start),
            'latest': iso(restorable[-1].end), 'gaps': gaps}


def base_backups(context, instance_id):
    """(completed, id) of the backups a restore can start from."""
    return [(b.time, b.id) for b in
            pitr_index.base_backups(context, instance_id)]


def restorable(context, instance_id):
    archives = pitr_index.archives_of(context, instance_id)
    return ranges(archives, base_backups(context, instance_id)), archives


def window(context, instance_id):
    found, archives = restorable(context, instance_id)
    return window_of(found, archives)


def describe(window_view, archives=()):
    """The window in words, for a 400; ``archives`` adds why the archive
    stops being restorable after the latest time (a lost object with no
    backup after it)."""
    if window_view['earliest'] is None:
        text = 'it has no restorable window yet (a backup and the ' \
               'archived logs after it are needed)'
    else:
        text = 'its restorable window is %s to %s' % (
            window_view['earliest'], window_view['latest'])
    between = [g for g in window_view['gaps'] if g['to'] is not None]
    if between:
        text += ', except %s' % ', '.join(
            '%s to %s (%s)' % (g['from'], g['to'], g['reason'])
            for g in between)
    latest = (parse_time(window_view['latest'])
              if window_view['latest'] else None)
    _runs, reasons = runs(archives)
    after = [why for moment, why in reasons
             if latest is None or moment is None
             or moment >= latest - ROUNDING]
    if after:
        text += '; after it %s (a new backup starts a new range)' \
            % '; '.join(after)
    else:
        text += ''.join('; after it %s' % g['reason']
                        for g in window_view['gaps'] if g['to'] is None)
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
                'after that time, its chain is incomplete or it is not '
                'followed by the archive (%s).' % (backup.id, iso(target),
                                                   describe(view)))
    else:
        backup = backup_models.load(context, candidates[-1][1])
    return Point(backup, source, None if latest else target,
                 chosen.archives)


def restore_view(context, instance_id):
    """``restored_to`` of one instance, read on its own (the instance
    view has the record from the instance's load)."""
    return restore_view_of(pitr_index.restore_of(context, instance_id))


def restore_view_of(row):
    """``restored_to`` of an instance made by a point-in-time restore,
    from its record in ``pitr_restores`` (None: not made so)."""
    if row is None:
        return None
    return {'restoreTime': iso(row.target) if row.target is not None
            else 'latest', 'reached': iso(row.reached),
            'backupRef': row.backup_id,
            'instanceRef': row.source_instance_id}
