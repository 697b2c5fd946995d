"""Backup schedules of an instance: their rows, checks and view.

``POST /instances/{id}/backup_schedules`` takes a cron expression (UTC)
or an interval in seconds, how often a full backup starts a new chain
(``full_every``: 1 makes every backup full; 4 makes one full and three
incrementals on it), a retention (``retention``: ``count`` chains and/or
``max_age_days``) and optionally where the backups go
(``storage_driver``, ``swift_container``). The taskmanager runs them
(trove.backup.schedule_runner).

With ``"action": "drill"`` a schedule runs restore drills instead: each
run drills the instance's latest restorable backup (``drill``: the
check ``query`` and its ``database``, and ``"restoreTime": "latest"``
to roll it forward to the end of the restorable window); it takes no
retention, ``full_every`` or storage (trove.backup.schedule_drills).
"""

import datetime

import sqlalchemy as sa
from oslo_utils import uuidutils

from trove.backup import cron
from trove.backup import drills
from trove.common import exception
from trove.common import views as common_views
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

Row = db_models.BackupSchedule


class BackupScheduleNotFound(exception.NotFound):
    message = 'Backup schedule %(uuid)s could not be found.'


def next_run(row_or_values, after):
    """The run after ``after`` of a schedule (row or dict)."""
    get = (row_or_values.get if isinstance(row_or_values, dict)
           else lambda name: getattr(row_or_values, name))
    if get('cron'):
        return cron.Cron(get('cron')).next_after(after)
    return after + datetime.timedelta(seconds=get('interval_s'))


def period(row):
    """Roughly the seconds between two runs (a missed run is later than
    this behind)."""
    if row.interval_s:
        return row.interval_s
    first = next_run(row, row.next_run_at)
    return (next_run(row, first) - first).total_seconds()


BACKUP, DRILL = 'backup', 'drill'
# What only a schedule of backups takes.
BACKUP_ONLY = ('retention', 'full_every', 'storage_driver', 'swift_container')


def _check_drill(data):
    """A drill schedule's settings; 400 for what it cannot use."""
    given = [key for key in BACKUP_ONLY if key in data]
    if given:
        raise exception.BadRequest(
            'A schedule of restore drills ("action": "drill") takes no %s: '
            'it drills the latest backup of the instance.'
            % ', '.join('"%s"' % key for key in given))
    drill = data.get('drill') or {}
    if drill.get('query') is not None:
        drill['query'] = drills.check_query(drill['query'])
    point = drill.get('restoreTime')
    if point is not None and point.strip().lower() != 'latest':
        raise exception.BadRequest(
            'A schedule of restore drills rolls forward to "latest" only '
            '(restoreTime %r); drill a fixed time once with POST '
            '/backups/{id}/drill.' % point)
    if point is not None:
        drill['restoreTime'] = 'latest'


def _check(data):
    if data.get('action', BACKUP) == BACKUP and 'drill' in data:
        raise exception.BadRequest(
            '"drill" settings need "action": "drill"; a schedule either '
            'takes backups or runs restore drills.')
    if bool(data.get('cron')) == bool(data.get('interval')):
        raise exception.BadRequest('A backup schedule needs either "cron" '
                                   '(a cron expression, UTC) or "interval" '
                                   '(seconds), not both.')
    if data.get('cron'):
        try:
            cron.Cron(data['cron']).next_after(db_models.utcnow())
        except cron.CronError as error:
            raise exception.BadRequest('Invalid cron expression %r: %s.'
                                       % (data['cron'], error)) from None
    elif data['interval'] < CONF.backup_schedule_min_interval:
        raise exception.BadRequest(
            'The interval of a backup schedule must be at least %d '
            'seconds.' % CONF.backup_schedule_min_interval)
    if data.get('action') == DRILL:
        _check_drill(data)
        return
    retention = data.get('retention') or {}
    if not retention.get('count') and not retention.get('max_age_days'):
        raise exception.BadRequest(
            'A backup schedule needs a retention: "count" (chains kept) '
            'and/or "max_age_days".')


def create(context, instance, data):
    """A schedule of ``instance`` from a validated body; returns its row."""
    _check(data)
    if data.get('storage_driver') == 'cinder':
        raise exception.NotImplementedForDatastore(
            'Backups as volume snapshots (storage_driver "cinder") are not '
            'supported by this deployment.')
    retention = data.get('retention') or {}
    drill = data.get('drill') or {}
    now = db_models.utcnow()
    values = dict(
        tenant_id=instance.tenant_id, instance_id=instance.id,
        name=data['name'], description=data.get('description'),
        action=data.get('action', BACKUP),
        drill_query=drill.get('query'), drill_database=drill.get('database'),
        drill_restore_time=drill.get('restoreTime'),
        cron=data.get('cron'), interval_s=data.get('interval'),
        full_every=data.get('full_every', 1),
        retain_count=retention.get('count'),
        retain_days=retention.get('max_age_days'),
        storage_driver=data.get('storage_driver'),
        swift_container=data.get('swift_container'), runs=0,
        created=now, updated=now)
    values['next_run_at'] = next_run(values, now)
    with db_api.writer(context) as session:
        row = Row(id=db_models.generate_uuid(), **values)
        session.add(row)
        session.flush()
        session.expunge(row)
    return row


def list_for(context, instance_id):
    with db_api.reader(context) as session:
        rows = list(session.scalars(sa.select(Row).where(
            Row.instance_id == instance_id, Row.deleted == sa.false())
            .order_by(Row.created, Row.id)))
        session.expunge_all()
        return rows


def load(context, instance_id, schedule_id):
    if not uuidutils.is_uuid_like(schedule_id):
        raise BackupScheduleNotFound(uuid=schedule_id)
    with db_api.reader(context) as session:
        row = session.scalars(sa.select(Row).where(
            Row.id == schedule_id, Row.instance_id == instance_id,
            Row.deleted == sa.false())).first()
        if row is None:
            raise BackupScheduleNotFound(uuid=schedule_id)
        session.expunge(row)
        return row


def delete(context, schedule_id):
    """No more runs; the backups it took stay (and are no longer pruned)."""
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == schedule_id).values(
            deleted=True, deleted_at=now, updated=now))


def view(row):
    retention = {}
    if row.retain_count:
        retention['count'] = row.retain_count
    if row.retain_days:
        retention['max_age_days'] = row.retain_days
    drill = None
    if row.action == DRILL:
        drill = {'query': row.drill_query, 'database': row.drill_database,
                 'restoreTime': row.drill_restore_time}
    return {
        'id': row.id, 'name': row.name, 'description': row.description,
        'action': row.action or BACKUP, 'drill': drill,
        'last_drill_id': row.last_drill_id,
        'instance_id': row.instance_id, 'cron': row.cron,
        'interval': row.interval_s,
        'full_every': row.full_every if drill is None else None,
        'retention': retention, 'storage_driver': row.storage_driver,
        'swift_container': row.swift_container, 'runs': row.runs,
        'next_run_at': common_views.isotime(row.next_run_at),
        'last_run_at': common_views.isotime(row.last_run_at),
        'last_backup_id': row.last_backup_id,
        'last_result': row.last_result,
        'created': common_views.isotime(row.created),
    }
