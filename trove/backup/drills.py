"""Restore drills: proof that a backup restores, and how long it takes.

``POST /backups/{id}/drill`` records a drill (202); the taskmanager's
periodic check ``run_backup_drills`` (one taskmanager of the deployment
per ``backup_drill_check_interval``) moves each drill on:

1. ``PENDING``: a sandbox instance is created from the backup, exactly as
   ``POST /instances`` with a ``restorePoint`` does (the backup's
   datastore version, flavor and volume size of the source instance, or
   ``backup_drill_flavor``), in the backup's project.
2. ``RESTORING``: waits for the sandbox to be ACTIVE (or in error, or
   beyond ``backup_drill_timeout``). The RTO is the time from the
   sandbox's creation to the end of its build (its event log's
   ``task_end``): restore start to engine ready.
3. Checks: the engine answers (HEALTHY), the sandbox has the databases
   the source instance has now (when that instance still runs), the row
   count of every table the backup recorded is the same in the sandbox
   (estimates: within ``backup_drill_estimate_tolerance``), and the
   user's query, if the drill has one, runs and returns rows (as a
   read-only account, through the sandbox guest's ``get_diagnostics``);
   then the sandbox is deleted.

A drill of a point in time (``restoreTime``, as a point-in-time restore
takes it) rolls the backup forward to that time in the sandbox (the
restore path of trove.instance.pitr; 400 when the instance's restorable
window does not cover it). The row counts the backup recorded do not
apply to a later point: the sandbox's counts are reported, not compared,
nor are the source's databases.

A backup schedule with ``action`` "drill" requests drills too
(trove.backup.schedule_drills); the drill names it.

The backup shows ``last_verified_at`` (the last drill that passed),
``last_drill_rto_s`` and ``last_drill_result``; a failed drill is an event
and a fault of the backup's instance.
"""

import json

import sqlalchemy as sa
from oslo_log import log as logging

from trove.backup import models as backup_models
from trove.common import context as trove_context
from trove.common import exception
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.guestagent import api as guest_api
from trove.instance import actions as instance_actions
from trove.instance import create as instance_create
from trove.instance import models as instance_models
from trove.instance import pitr
from trove.records import events
from trove.records import faults

LOG = logging.getLogger(__name__)

Row = db_models.BackupDrill
Backup = db_models.Backup
PENDING, RESTORING, PASSED, FAILED = 'PENDING', 'RESTORING', 'PASSED', \
    'FAILED'
RUNNING = (PENDING, RESTORING)
# Estimated row counts may move by this many rows without failing a drill.
ESTIMATE_SLACK_ROWS = 1000


class DrillRunning(exception.UnprocessableEntity):
    message = 'A restore drill of backup %(backup_id)s is already running.'


def check_query(query):
    """The user's query, if it is one SELECT (or WITH ... SELECT)."""
    text = query.strip().rstrip(';').strip()
    first = text.split(None, 1)[0].lower() if text else ''
    if first not in ('select', 'with') or ';' in text:
        raise exception.BadRequest('The query of a drill must be one SELECT '
                                   'statement.')
    return text


def _check_point(context, backup, restore_time):
    """The restoreTime of a drill of a point in time, as it is kept: ISO
    8601 in UTC, or "latest"; 400 when the window does not cover it."""
    point = pitr.resolve(context, {'backupRef': backup.id,
                                   'restoreTime': restore_time})
    return 'latest' if point.target is None else pitr.iso(point.target)


def request(context, backup, query=None, database=None, restore_time=None,
            schedule=None):
    """Record a drill of ``backup`` (a row of the API's load), with the
    user's check query and the point in time, if any; ``schedule`` is
    the backup schedule (row) that asks for it."""
    if query is not None:
        query = check_query(query)
    if backup.state != states.BackupState.COMPLETED:
        raise exception.UnprocessableEntity(
            'Backup %s is %s; only a COMPLETED backup can be drilled.'
            % (backup.id, backup.state))
    if restore_time is not None:
        restore_time = _check_point(context, backup, restore_time)
    with db_api.writer(context) as session:
        running = session.scalars(sa.select(Row.id).where(
            Row.backup_id == backup.id, Row.state.in_(RUNNING))).first()
        if running:
            raise DrillRunning(backup_id=backup.id)
        row = Row(id=db_models.generate_uuid(), backup_id=backup.id,
                  tenant_id=backup.tenant_id, instance_id=backup.instance_id,
                  state=PENDING, created=db_models.utcnow(),
                  check_query=query, check_database=database,
                  restore_time=restore_time,
                  schedule_id=schedule.id if schedule else None)
        session.add(row)
        session.flush()
        session.expunge(row)
    if backup.instance_id:
        events.record(
            context, backup.instance_id, events.DRILL,
            'A restore drill of backup %s%s was requested%s.' % (
                backup.id, _point_text(restore_time),
                ' by backup schedule %s ("%s")' % (schedule.id, schedule.name)
                if schedule else ''),
            actor='system' if schedule else None)
    return row


def _point_text(restore_time):
    if restore_time is None:
        return ''
    if restore_time == 'latest':
        return ' rolled forward to the latest restorable time'
    return ' rolled forward to %s' % restore_time


def view(row):
    return {'id': row.id, 'backup_id': row.backup_id, 'state': row.state,
            'sandbox_id': row.sandbox_id, 'rto_s': row.rto_s,
            'result': row.result, 'query': row.check_query,
            'database': row.check_database, 'restoreTime': row.restore_time,
            'schedule_id': row.schedule_id}


def run(context, now=None):
    """Move every running drill on; returns {drill id: its state}."""
    with db_api.reader(context) as session:
        rows = list(session.scalars(sa.select(Row).where(
            Row.state.in_(RUNNING)).order_by(Row.created)))
        session.expunge_all()
    moved = {}
    for row in rows:
        project = trove_context.get_admin_context(project_id=row.tenant_id)
        try:
            if row.state == PENDING:
                _start(project, row)
            else:
                _follow(project, row, now or db_models.utcnow())
        except exception.TroveError as error:
            _end(project, row, False, 'the sandbox could not be made: %s'
                 % str(error).rstrip('.'))
        except Exception as error:
            LOG.exception('Restore drill %s failed', row.id)
            _end(project, row, False, str(error))
        moved[row.id] = _state(context, row.id)
    return moved


def _state(context, drill_id):
    with db_api.reader(context) as session:
        return session.get(Row, drill_id).state


def _set(context, row, **values):
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == row.id).values(
            updated=db_models.utcnow(), **values))
    for name, value in values.items():
        setattr(row, name, value)


def _source(context, row):
    """The instance the backup was taken of, or None if it is gone."""
    if not row.instance_id:
        return None
    try:
        return instance_models.load(context, row.instance_id)
    except exception.InstanceNotFound:
        return None


def _start(context, row):
    backup = backup_models.load(context, row.backup_id)
    source = _source(context, row)
    version = backup.datastore_version
    body = {'instance': {
        'name': 'drill-%s' % row.backup_id[:8],
        'flavorRef': CONF.backup_drill_flavor or (
            source.row.flavor_id if source else None),
        'volume': {'size': (source.row.volume_size if source else None)
                   or CONF.backup_drill_volume_size},
        'datastore': {'type': version.datastore.name,
                      'version': version.name},
        'restorePoint': {'backupRef': row.backup_id}}}
    if row.restore_time:
        # The point-in-time restore path, as POST /instances takes it.
        body['instance']['restorePoint']['restoreTime'] = row.restore_time
    if not body['instance']['flavorRef']:
        raise exception.BadRequest('no flavor for the sandbox (the source '
                                   'instance is gone; set '
                                   'backup_drill_flavor)')
    sandbox, _password = instance_create.create(context, body)
    _set(context, row, state=RESTORING, sandbox_id=sandbox.id,
         started_at=db_models.utcnow())
    LOG.info('Restore drill %s: sandbox %s restores backup %s', row.id,
             sandbox.id, row.backup_id)


def _build_end(context, sandbox_id):
    """When the sandbox's build finished (its event log), or None."""
    finished = events.FLOW_NAMES['create'].capitalize() + ' finished.'
    with db_api.reader(context) as session:
        return session.scalars(sa.select(db_models.InstanceEvent.created)
                               .where(db_models.InstanceEvent.instance_id
                                      == sandbox_id,
                                      db_models.InstanceEvent.message
                                      == finished)).first()


def _follow(context, row, now):
    try:
        sandbox = instance_models.load(context, row.sandbox_id)
    except exception.InstanceNotFound:
        _end(context, row, False, 'the sandbox %s disappeared'
             % row.sandbox_id)
        return
    if sandbox.status == states.InstanceStatus.ERROR or \
            sandbox.task.is_error:
        _end(context, row, False, 'the restore failed: %s' % (
            sandbox.fault.message if sandbox.fault is not None
            else sandbox.status))
        return
    ready = _build_end(context, sandbox.id)
    if sandbox.status != states.InstanceStatus.ACTIVE or ready is None:
        if (now - row.started_at).total_seconds() > CONF.backup_drill_timeout:
            _end(context, row, False, 'the sandbox was not ACTIVE within '
                 '%d seconds' % CONF.backup_drill_timeout)
        return
    rto = round((ready - row.started_at).total_seconds(), 1)
    problems, passed = _check(context, row, sandbox)
    _end(context, row, not problems, '; '.join(problems) or
         'restored, ' + ', '.join(passed), rto=rto)


def _databases(context, instance_id):
    guest = guest_api.API(context, instance_id)
    names, marker = guest.list_databases()
    names = list(names)
    while marker:
        more, marker = guest.list_databases(marker=marker)
        names += list(more)
    return sorted(db['_name'] if isinstance(db, dict) else str(db)
                  for db in names)


def recorded_counts(backup):
    """The row counts ``backup`` (row) recorded, or None."""
    try:
        recorded = json.loads(backup.row_counts) if backup.row_counts \
            else None
    except ValueError:
        return None
    if not isinstance(recorded, dict) or not isinstance(
            recorded.get('tables'), dict):
        return None
    return recorded


def count_differences(recorded, found, tolerance=None):
    """The tables whose rows in the restore (``found``) differ from the
    ``recorded`` ones, each named with both counts. Exact counts must be
    equal; estimates within ``tolerance`` (a share, at most 1000 rows)."""
    exact = recorded.get('method') == 'exact'
    if tolerance is None:
        tolerance = CONF.backup_drill_estimate_tolerance
    differ = []
    for name, expected in sorted(recorded['tables'].items()):
        got = found.get(name)
        if got is None:
            differ.append('%s (missing, %d rows recorded)' % (name, expected))
        elif exact and got != expected:
            differ.append('%s (%d rows, %d recorded)' % (name, got, expected))
        elif not exact and abs(got - expected) > max(
                ESTIMATE_SLACK_ROWS, tolerance * expected):
            differ.append('%s (about %d rows, about %d recorded)'
                          % (name, got, expected))
    return differ


def _sandbox_checks(context, sandbox, recorded, row):
    checks = {}
    if recorded is not None:
        checks['row_counts'] = recorded.get('method') or 'exact'
    if row.check_query:
        checks['query'] = row.check_query
        if row.check_database:
            checks['database'] = row.check_database
    if not checks:
        return {}
    return guest_api.API(context, sandbox.id).get_diagnostics(
        checks=checks).get('checks') or {}


def _check(context, row, sandbox):
    """(problems, what passed) of the sandbox's checks."""
    problems, passed = [], ['the engine answers']
    if sandbox.service_status not in states.DATASTORE_RUNNING_STATUSES:
        problems.append('the engine of the sandbox is %s'
                        % sandbox.service_status.api_status)
        return problems, passed
    # At a later point than the backup, the source's databases now and
    # the counts the backup recorded say nothing about the restore.
    point = row.restore_time is not None
    source = None if point else _source(context, row)
    if source is not None and source.service_status in \
            states.DATASTORE_RUNNING_STATUSES:
        restored = _databases(context, sandbox.id)
        expected = _databases(context, source.id)
        missing = sorted(set(expected) - set(restored))
        if missing:
            problems.append('databases missing from the restore: %s'
                            % ', '.join(missing))
        else:
            passed.append('the databases match')
    with db_api.reader(context) as session:
        recorded = recorded_counts(session.get(Backup, row.backup_id))
    try:
        results = _sandbox_checks(
            context, sandbox, {'method': (recorded or {}).get('method')
                               or 'exact'} if point else recorded, row)
    except exception.TroveError as error:
        # A sandbox guest that cannot answer (or predates the checks).
        problems.append('the checks could not run in the sandbox: %s'
                        % str(error).rstrip('.'))
        return problems, passed
    if point:
        _report_point(context, row, sandbox, results, problems, passed)
    elif recorded is not None:
        counts = results.get('row_counts') or {}
        if 'tables' not in counts:
            problems.append('the row counts of the restore could not be '
                            'read: %s' % counts.get('error', 'no answer'))
        else:
            differ = count_differences(recorded, counts['tables'])
            if differ:
                problems.append('row counts differ from the backup\'s: %s'
                                % ', '.join(differ))
            else:
                passed.append('the %s row counts of %d tables match'
                              % (recorded.get('method') or 'exact',
                                 len(recorded['tables'])))
    if row.check_query:
        query = results.get('query') or {}
        if 'rows' not in query:
            problems.append('the check query failed: %s'
                            % query.get('error', 'no answer'))
        elif not query['rows']:
            problems.append('the check query returned no rows')
        else:
            passed.append('the check query returned %d rows'
                          % query['rows'])
    return problems, passed


def _report_point(context, row, sandbox, results, problems, passed):
    """What a drill of a point in time found: the time the restore
    reached, and the rows of the tables there (reported, not compared)."""
    restored = pitr.restore_view(context, sandbox.id) or {}
    target = restored.get('restoreTime') or row.restore_time
    if restored.get('reached'):
        passed.append('rolled forward to %s (the last transaction '
                      'replayed is of %s)' % (target, restored['reached']))
    else:
        passed.append('rolled forward to %s (no transaction replayed)'
                      % target)
    counts = results.get('row_counts') or {}
    if 'tables' not in counts:
        problems.append('the row counts of the restore could not be read: '
                        '%s' % counts.get('error', 'no answer'))
        return
    tables, rows = len(counts['tables']), sum(counts['tables'].values())
    passed.append('%d table%s with %d row%s (%s counts) found at that point'
                  % (tables, '' if tables == 1 else 's', rows,
                     '' if rows == 1 else 's',
                     counts.get('method') or 'exact'))


def _end(context, row, passed, result, rto=None):
    now = db_models.utcnow()
    _set(context, row, state=PASSED if passed else FAILED, result=result,
         rto_s=rto, ready_at=now if passed else None)
    values = {'last_drill_result': ('passed: ' if passed else 'failed: ')
              + result[:1000], 'last_drill_rto_s': rto}
    if passed:
        values['last_verified_at'] = now
    with db_api.writer(context) as session:
        session.execute(sa.update(Backup).where(Backup.id == row.backup_id)
                        .values(**values))
    if row.sandbox_id:
        try:
            instance_actions.delete(
                context, instance_models.load(context, row.sandbox_id))
        except exception.InstanceNotFound:
            pass
    message = ('%sestore drill of backup %s%s %s: %s%s.' % (
        'Scheduled r' if row.schedule_id else 'R', row.backup_id,
        _point_text(row.restore_time), 'passed' if passed else 'failed',
        result, '; RTO %.1f s' % rto if rto is not None else ''))
    if row.instance_id:
        events.record(context, row.instance_id, events.DRILL, message,
                      actor='system')
        if not passed:
            faults.save_fault(context, row.instance_id, message)
    LOG.info(message)
