"""The runs of backup schedules with ``action`` "drill": restore drills.

Each run drills the instance's latest restorable backup (completed, with
its whole chain completed and kept: what a restore can start from), or
with ``restoreTime`` "latest" the base a point-in-time restore to the
end of the instance's restorable window starts from, rolled forward to
that end. The drill itself is a drill as ``POST /backups/{id}/drill``
makes one (trove.backup.drills: sandbox, checks, RTO on the backup,
sandbox deleted), moved on by the taskmanager's drill check.

A run that cannot start (no backup to drill, no restorable window) is an
event and a fault of the instance; a drill that fails is one too (the
drill records them). A run due while the schedule's previous drill (or
another drill of the same backup) still runs is skipped with an event
and no fault. This module never takes or deletes a backup.
"""

import sqlalchemy as sa

from trove.backup import drills
from trove.backup import models as backup_models
from trove.common import exception
from trove.db import api as db_api
from trove.db import models as db_models
from trove.instance import pitr
from trove.records import events
from trove.records import pitr_index

RUNNING = 'running'


def drill_running(context, drill_id):
    if not drill_id:
        return False
    with db_api.reader(context) as session:
        drill = session.get(db_models.BackupDrill, drill_id)
        return drill is not None and drill.state in drills.RUNNING


def backup_to_drill(context, row):
    """The backup a run of the drill schedule ``row`` drills (a row of
    trove.backup.models.load); BadRequest saying why there is none."""
    if row.drill_restore_time:
        # The same choice a restore to the latest time makes: 400 naming
        # the window when there is none.
        point = pitr.resolve(context, {'instanceRef': row.instance_id,
                                       'restoreTime': 'latest'})
        return point.backup
    restorable = pitr_index.base_backups(context, row.instance_id)
    if not restorable:
        raise exception.BadRequest(
            'instance %s has no completed backup to drill'
            % row.instance_id)
    # Newest by completion; the latest started breaks a tie.
    newest = max(restorable, key=lambda base: (base.time, base.started))
    return backup_models.load(context, newest.id)


def run(context, project, row, failed):
    """Request the drill of one due run of ``row`` (acting for the
    schedule's ``project``); ``failed(context, row, message)`` records a
    run that cannot start. Returns the drill id, 'skipped' or
    'failed'."""
    if drill_running(context, row.last_drill_id):
        _skipped(context, row, 'its previous restore drill %s still runs'
                 % row.last_drill_id)
        return 'skipped'
    try:
        backup = backup_to_drill(project, row)
        drill = drills.request(project, backup, query=row.drill_query,
                               database=row.drill_database,
                               restore_time=row.drill_restore_time,
                               schedule=row)
    except drills.DrillRunning as error:
        _skipped(context, row, str(error).rstrip('.'))
        return 'skipped'
    except exception.TroveError as error:
        failed(context, row, 'The scheduled restore drill of schedule %s '
               '("%s") could not start: %s' % (
                   row.id, row.name, str(error).rstrip('.') + '.'))
        return 'failed'
    with db_api.writer(context) as session:
        session.execute(sa.update(db_models.BackupSchedule).where(
            db_models.BackupSchedule.id == row.id).values(
            last_backup_id=backup.id, last_drill_id=drill.id,
            last_result=RUNNING, updated=db_models.utcnow()))
    return drill.id


def _skipped(context, row, why):
    # Not a failure of the backups or of the instance: no fault.
    events.record(context, row.instance_id, events.SCHEDULE,
                  'Backup schedule %s ("%s") skipped a restore drill: %s. '
                  'A longer interval avoids this.' % (row.id, row.name, why),
                  actor='system')


def follow_up(context, row):
    """The schedule's last result once its drill ended (the drill itself
    recorded the event, and the fault of a failure)."""
    if row.last_result != RUNNING or not row.last_drill_id:
        return
    with db_api.reader(context) as session:
        drill = session.get(db_models.BackupDrill, row.last_drill_id)
    if drill is not None and drill.state in drills.RUNNING:
        return
    if drill is None:
        result = 'failed: the drill %s is gone' % row.last_drill_id
    elif drill.state == drills.PASSED:
        result = 'passed (RTO %.1f s)' % (drill.rto_s or 0)
    else:
        result = 'failed: %s' % drill.result
    with db_api.writer(context) as session:
        session.execute(sa.update(db_models.BackupSchedule).where(
            db_models.BackupSchedule.id == row.id).values(
            last_result=result[:512], updated=db_models.utcnow()))
