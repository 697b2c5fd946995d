"""Running backup schedules: the due backups, their outcome, retention.

``run_due`` is a periodic check of the taskmanager, run by one
taskmanager of the deployment per ``backup_schedule_check_interval``
(work_claims.periodic_turn), so two taskmanagers never both take a
scheduled backup. Each due schedule first moves its next run forward
with a conditional UPDATE (a second runner finds nothing due), then asks
for the backup exactly as ``POST /backups`` does, on behalf of the
schedule's project. A run that cannot start (the instance is busy, the
store refuses), a run that was missed (the taskmanagers were down) and a
scheduled backup that fails later are each an event and a fault of the
instance.

A schedule with ``action`` "drill" runs restore drills instead of
taking backups (trove.backup.schedule_drills); the missed-run and
deleted-instance rules are the same.

Retention deletes whole chains only (a full backup and the incrementals
built on it, through trove.backup.models.delete), newest chains kept:
beyond ``count`` completed chains, or whose newest backup is older than
``max_age_days`` (never the newest completed chain). A chain with a
running backup, or whose backups are parents of backups the schedule
did not take, is kept.
"""

import datetime

import sqlalchemy as sa
from oslo_log import log as logging

from trove.backup import create as backup_create
from trove.backup import models as backup_models
from trove.backup import schedule_drills
from trove.backup import schedules
from trove.common import context as trove_context
from trove.common import exception
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import events
from trove.records import faults

LOG = logging.getLogger(__name__)

Row = db_models.BackupSchedule
Backup = db_models.Backup
BackupState = states.BackupState
RUNNING = 'running'


def run_due(context, now=None):
    """Start the due backups, follow up the last ones, apply retention;
    returns {schedule id: what happened} of the schedules that ran."""
    now = now or db_models.utcnow()
    ran = {}
    for row in _live(context, due_by=now):
        outcome = _run_one(context, row, now)
        if outcome is not None:
            ran[row.id] = outcome
    for row in _live(context):
        if row.action == schedules.DRILL:
            schedule_drills.follow_up(context, row)
            continue
        _follow_up(context, row)
        apply_retention(context, row, now)
    return ran


def _live(context, due_by=None):
    query = sa.select(Row).where(Row.deleted == sa.false())
    if due_by is not None:
        query = query.where(Row.next_run_at <= due_by)
    with db_api.reader(context) as session:
        rows = list(session.scalars(query.order_by(Row.next_run_at)))
        session.expunge_all()
        return rows


def _project_context(row):
    """The schedule acts for its project, as the system."""
    return trove_context.get_admin_context(project_id=row.tenant_id)


def _advance(context, row, now):
    """Move the next run on (keeping the cadence: from the run that was
    due, or from now if that is past too); False if another runner
    already did."""
    following = schedules.next_run(row, row.next_run_at)
    if following <= now:
        following = schedules.next_run(row, now)
    with db_api.writer(context) as session:
        return session.execute(
            sa.update(Row).where(Row.id == row.id,
                                 Row.next_run_at == row.next_run_at,
                                 Row.deleted == sa.false())
            .values(next_run_at=following,
                    last_run_at=now, runs=Row.runs + 1,
                    updated=now)).rowcount == 1


def _set(context, row, **values):
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == row.id)
                        .values(updated=db_models.utcnow(), **values))


def _instance_gone(context, instance_id):
    with db_api.reader(context) as session:
        instance = session.get(db_models.Instance, instance_id)
        return instance is None or instance.deleted


def _failed(context, row, message):
    """A run that failed: an event and a fault of the instance."""
    LOG.warning('Backup schedule %s of %s: %s', row.id, row.instance_id,
                message)
    _set(context, row, last_result=('failed: ' + message)[:512])
    events.record(context, row.instance_id, events.SCHEDULE, message,
                  actor='system')
    faults.save_fault(context, row.instance_id, message)


def _parent(context, row):
    """The newest completed backup of the schedule, for an incremental."""
    with db_api.reader(context) as session:
        return session.scalars(sa.select(Backup.id).where(
            Backup.schedule_id == row.id, Backup.deleted == sa.false(),
            Backup.state == BackupState.COMPLETED)
            .order_by(Backup.created.desc(), Backup.id.desc())).first()


def _still_running(context, backup_id):
    if not backup_id:
        return False
    with db_api.reader(context) as session:
        backup = session.get(Backup, backup_id)
        return backup is not None and not backup.deleted and \
            backup.state in BackupState.RUNNING_STATES


def _run_one(context, row, now):
    if not _advance(context, row, now):
        return None
    if _instance_gone(context, row.instance_id):
        schedules.delete(context, row.id)
        LOG.info('Backup schedule %s ends: instance %s is gone', row.id,
                 row.instance_id)
        return 'instance gone'
    behind = (now - row.next_run_at).total_seconds()
    if behind > schedules.period(row) + CONF.backup_schedule_check_interval:
        _failed(context, row, 'Backup schedule %s ("%s") missed its run of '
                '%s UTC (%d seconds late: no taskmanager ran it); it runs '
                'now.' % (row.id, row.name,
                          row.next_run_at.isoformat(timespec='seconds'),
                          behind))
    if row.action == schedules.DRILL:
        return schedule_drills.run(context, _project_context(row), row,
                                   _failed)
    if _still_running(context, row.last_backup_id):
        # Its own previous backup outlasted the interval: not a failure
        # of the store or the instance, so an event without a fault.
        events.record(context, row.instance_id, events.SCHEDULE,
                      'Backup schedule %s ("%s") skipped a run: its '
                      'previous backup %s still runs. A longer interval '
                      'avoids this.' % (row.id, row.name,
                                        row.last_backup_id), actor='system')
        return 'skipped'
    parent_id = None
    if row.runs % max(row.full_every, 1):
        parent_id = _parent(context, row)
    data = {'name': '%s %s' % (row.name, now.strftime('%Y-%m-%dT%H:%M:%S')),
            'instance': row.instance_id,
            'description': 'Taken by backup schedule %s' % row.id}
    if parent_id:
        data['parent_id'] = parent_id
    if row.storage_driver:
        data['storage_driver'] = row.storage_driver
    if row.swift_container:
        data['swift_container'] = row.swift_container
    try:
        backup = backup_create.create(_project_context(row), data,
                                      schedule_id=row.id)
    except exception.TroveError as error:
        _failed(context, row, 'The scheduled backup of schedule %s ("%s") '
                'could not start: %s' % (row.id, row.name,
                                         str(error).rstrip('.') + '.'))
        return 'failed'
    except Exception as error:
        LOG.exception('Backup schedule %s failed', row.id)
        _failed(context, row, 'The scheduled backup of schedule %s ("%s") '
                'could not start: %s.' % (row.id, row.name, error))
        return 'failed'
    _set(context, row, last_backup_id=backup.id, last_result=RUNNING)
    return backup.id


def _follow_up(context, row):
    """The outcome of the schedule's last backup, once it ended."""
    if row.last_result != RUNNING or not row.last_backup_id:
        return
    with db_api.reader(context) as session:
        backup = session.get(Backup, row.last_backup_id)
    if backup is None or backup.state == BackupState.COMPLETED:
        _set(context, row, last_result='completed')
    elif backup.state not in BackupState.RUNNING_STATES:
        _failed(context, row, 'The scheduled backup %s of schedule %s '
                '("%s") failed: %s' % (backup.id, row.id, row.name,
                                       backup.description or backup.state))


# Retention -------------------------------------------------------------------
def chains(context, row):
    """The schedule's chains, newest first: lists of backup rows, the
    full one first."""
    with db_api.reader(context) as session:
        rows = list(session.scalars(sa.select(Backup).where(
            Backup.schedule_id == row.id, Backup.deleted == sa.false())))
        session.expunge_all()
    by_id = {backup.id: backup for backup in rows}

    def root_of(backup):
        seen = set()
        while backup.parent_id in by_id and backup.id not in seen:
            seen.add(backup.id)
            backup = by_id[backup.parent_id]
        return backup

    grouped = {}
    for backup in rows:
        grouped.setdefault(root_of(backup).id, []).append(backup)
    result = []
    for root_id, members in grouped.items():
        members.sort(key=lambda b: (b.id != root_id, b.created, b.id))
        result.append(members)
    result.sort(key=lambda members: (members[0].created, members[0].id),
                reverse=True)
    return result


def _with_foreign_children(context, row, ids):
    """Ids among ``ids`` that parent a live backup the schedule did not
    take."""
    with db_api.reader(context) as session:
        return set(session.scalars(sa.select(Backup.parent_id).where(
            Backup.parent_id.in_(list(ids)), Backup.deleted == sa.false(),
            sa.or_(Backup.schedule_id.is_(None),
                   Backup.schedule_id != row.id))))


def doomed_chains(context, row, now):
    """The chains retention deletes now."""
    all_chains = chains(context, row)
    ids = [backup.id for chain in all_chains for backup in chain]
    foreign = _with_foreign_children(context, row, ids) if ids else set()
    too_old = (now - datetime.timedelta(days=row.retain_days)
               if row.retain_days else None)
    kept_complete = 0
    doomed = []
    for chain in all_chains:
        if any(b.state in BackupState.RUNNING_STATES for b in chain) or \
                any(b.id in foreign for b in chain):
            kept_complete += chain[0].state == BackupState.COMPLETED
            continue
        if chain[0].state != BackupState.COMPLETED:
            # A chain whose full backup failed restores nothing; it goes
            # once a newer chain completed.
            if kept_complete:
                doomed.append(chain)
            continue
        newest = max(b.created for b in chain)
        if (row.retain_count and kept_complete >= row.retain_count) or \
                (too_old is not None and kept_complete and newest < too_old):
            doomed.append(chain)
        else:
            kept_complete += 1
    return doomed


def apply_retention(context, row, now=None):
    """Delete the chains retention no longer keeps; returns their roots."""
    deleted = []
    for chain in doomed_chains(context, row, now or db_models.utcnow()):
        root = chain[0]
        project = _project_context(row)
        try:
            backup_models.delete(project, backup_models.load(project,
                                                             root.id))
        except exception.TroveError as error:
            LOG.warning('Retention of schedule %s could not delete backup '
                        '%s: %s', row.id, root.id, error)
            continue
        deleted.append(root.id)
        events.record(context, row.instance_id, events.SCHEDULE,
                      'Retention of backup schedule %s ("%s") deleted the '
                      'chain of backup %s (%d backup%s).' % (
                          row.id, row.name, root.id, len(chain),
                          '' if len(chain) == 1 else 's'), actor='system')
    return deleted
