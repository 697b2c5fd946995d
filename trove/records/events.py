"""The event log of each instance: what happened, when, and who did it.

Every service writes here (the API for requests, the taskmanager for task
starts and ends, the periodic checks for heartbeat expiry and recovery,
the conductor for backups the guest finished); ``GET
/instances/{id}/events`` reads it newest first. An event is history: it
outlives its instance and is removed only after
``instance_events_max_age_days``.

``record_in`` writes in the caller's transaction (a fault and its event
together); ``record`` in one of its own and never raises, because an
event log that cannot be written must not fail the work it describes.
"""

import datetime

import sqlalchemy as sa
from oslo_log import log as logging

from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)

Row = db_models.InstanceEvent
MAX_MESSAGE = 2000

# Kinds of events (the API's ``kind``).
TASK_START = 'task_start'
TASK_END = 'task_end'
TASK_FAILED = 'task_failed'
FAULT = 'fault'
HEARTBEAT_EXPIRED = 'heartbeat_expired'
HEARTBEAT_RECOVERED = 'heartbeat_recovered'
BACKUP = 'backup'
SCHEDULE = 'backup_schedule'
CONFIGURATION = 'configuration'
DRILL = 'restore_drill'
PITR = 'pitr_archive'
PROGRESS = 'progress'


# What the event log calls each flow of the taskmanager; its events say
# "<name> started." and "<name> finished.", which the dry-run plans read
# back for the measured duration of each kind of work.
FLOW_NAMES = {
    'create': 'the build of the instance',
    'delete': 'the deletion of the instance',
    'restart': 'the restart of the database engine',
    'reboot': 'the reboot of the server',
    'resize_volume': 'the resize of the volume',
    'resize_flavor': 'the resize to another flavor',
    'create_replica': 'the build of the replica',
    'detach': 'the detach from the replica source',
    'promote': 'the promotion to replica source',
    'eject': 'the ejection of the replica source',
    'upgrade': 'the upgrade',
}


def actor_of(context):
    """Who acted: ``user <id> (project <id>)``, or ``system`` for work no
    user asked for (periodic checks, work taken over by the sweep)."""
    user = getattr(context, 'user_id', None) if context is not None else None
    project = getattr(context, 'project_id', None) \
        if context is not None else None
    if not user:
        return 'system'
    return ('user %s (project %s)' % (user, project) if project
            else 'user %s' % user)


def _row(context, instance_id, kind, message, actor):
    message = (message or kind).strip()
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 3] + '...'
    return Row(instance_id=instance_id, created=db_models.utcnow(),
               kind=kind, actor=actor or actor_of(context), message=message,
               request_id=getattr(context, 'request_id', None)
               if context is not None else None)


def record_in(session, context, instance_id, kind, message, actor=None):
    """Add the event in ``session``'s transaction."""
    session.add(_row(context, instance_id, kind, message, actor))


def record(context, instance_id, kind, message, actor=None):
    """Add the event in a transaction of its own; False if it could not
    be written (logged, never raised)."""
    try:
        with db_api.writer(context) as session:
            record_in(session, context, instance_id, kind, message, actor)
        return True
    except Exception:
        LOG.exception('Could not log the %s event of instance %s: %s',
                      kind, instance_id, message)
        return False


def list_page(context, instance_id, limit, marker=None):
    """``limit + 1`` events of an instance at most, newest first, those
    older than the event ``marker`` (an event id) when given."""
    query = sa.select(Row).where(Row.instance_id == instance_id)
    if marker is not None:
        query = query.where(Row.id < marker)
    query = query.order_by(Row.id.desc()).limit(limit + 1)
    with db_api.reader(context) as session:
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def last_of_kinds(context, instance_ids, kinds):
    """{instance id: the kind of its newest event among ``kinds``}."""
    if not instance_ids:
        return {}
    newest = (sa.select(Row.instance_id, sa.func.max(Row.id).label('id'))
              .where(Row.instance_id.in_(list(instance_ids)),
                     Row.kind.in_(list(kinds)))
              .group_by(Row.instance_id).subquery())
    with db_api.reader(context) as session:
        return dict(session.execute(
            sa.select(Row.instance_id, Row.kind).join(
                newest, Row.id == newest.c.id)).all())


def measured_seconds(context, flow, samples=20):
    """Durations (seconds) of the last ``samples`` runs of ``flow`` that
    finished, over every instance of the deployment, newest first."""
    name = FLOW_NAMES[flow].capitalize()
    started, finished = name + ' started.', name + ' finished.'
    with db_api.reader(context) as session:
        rows = session.execute(
            sa.select(Row.instance_id, Row.message, Row.created)
            .where(Row.message.in_([started, finished]))
            .order_by(Row.id.desc()).limit(samples * 4)).all()
    ends, durations = {}, []
    for instance_id, message, created in rows:
        if message == finished:
            ends[instance_id] = created
        elif instance_id in ends:
            durations.append(
                (ends.pop(instance_id) - created).total_seconds())
    return durations[:samples]


def purge(context, max_age_days=None):
    """Remove events older than the retention; returns how many."""
    days = max_age_days or CONF.instance_events_max_age_days
    older_than = db_models.utcnow() - datetime.timedelta(days=days)
    with db_api.writer(context) as session:
        return session.execute(sa.delete(Row).where(
            Row.created < older_than)).rowcount
