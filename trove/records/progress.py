"""Progress of long operations the guests report, and its events.

A running backup's progress is in its row (``backups.progress``); a
restore's (during the prepare of an instance built from a backup) in the
state of the instance's due work, where the instance view reads the
progress of its flow. Both are JSON: ``bytes_written``, ``elapsed_s``
and, where a total is known, ``total_bytes``, ``percent`` and ``eta_s``.

The event log gets one ``progress`` event each time the percent passes
a quarter (25, 50, 75): never more than three per operation, whatever
the report interval.
"""

import json

from trove.records import events
from trove.records import work_claims

QUARTER = 25
RESTORE_KEY = 'guest_progress'


def loads(text):
    try:
        value = json.loads(text) if text else None
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def quarter_passed(previous, current):
    """The quarter (25, 50, 75) ``current`` (a progress dict) reached
    since ``previous``, or None."""
    percent = (current or {}).get('percent')
    if not isinstance(percent, (int, float)) or percent >= 100:
        return None
    before = (previous or {}).get('percent') or 0
    if percent // QUARTER > before // QUARTER:
        return int(percent // QUARTER) * QUARTER
    return None


def _megabytes(count):
    return '%.1f MB' % ((count or 0) / 1e6)


def _amounts(fields):
    text = '%s written' % _megabytes(fields.get('bytes_written'))
    if fields.get('total_bytes'):
        text += ' of about %s' % _megabytes(fields['total_bytes'])
    if fields.get('eta_s') is not None:
        text += ', about %d s left' % fields['eta_s']
    return text


def backup_message(backup, fields, quarter):
    """(The backup's total is the engine's data; what is written is that
    data compressed, so only the restore names both.)"""
    return 'The %s backup %s "%s" is %d%% done (%s).' % (
        backup.backup_type or 'full', backup.id, backup.name, quarter,
        _amounts({'bytes_written': fields.get('bytes_written'),
                  'eta_s': fields.get('eta_s')}))


def restore_message(fields, quarter):
    return 'The restore of backup %s is %d%% done (%s).' % (
        fields.get('backup_id'), quarter, _amounts(fields))


def _not_older(previous, fields):
    """A report delivered late (several conductors) never moves a
    restore's progress back."""
    if not isinstance(previous, dict) or \
            previous.get('backup_id') != fields.get('backup_id'):
        return True
    return (fields.get('bytes_written') or 0) >= \
        (previous.get('bytes_written') or 0)


def record_restore(context, instance_id, fields):
    """A restore's progress report; an event when it passed a quarter.
    False when the instance has no work due (nothing shows it)."""
    if not isinstance(fields, dict):
        return False
    noted, previous = work_claims.note(
        context, instance_id, RESTORE_KEY, fields,
        accept=lambda previous: _not_older(previous, fields))
    if not noted:
        return False
    if (previous or {}).get('backup_id') != fields.get('backup_id'):
        previous = None
    quarter = quarter_passed(previous, fields)
    if quarter is not None:
        events.record(context, instance_id, events.PROGRESS,
                      restore_message(fields, quarter), actor='system')
    return True
