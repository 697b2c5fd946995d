"""Heartbeat expiry and recovery in the event logs, and their retention.

A guest that stops reporting shows as an error through the heartbeat
expiry, computed when an instance is read (states.effective_service_status);
nothing is written when that happens. This periodic check of the
taskmanager (one per deployment, ``instance_events_check_interval``)
compares each live, settled instance's last heartbeat with the expiry and
logs the change once: ``heartbeat_expired`` when it passes,
``heartbeat_recovered`` when reports come back. It also removes the
events older than ``instance_events_max_age_days``.
"""

import datetime

import sqlalchemy as sa
from oslo_log import log as logging

from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import events

LOG = logging.getLogger(__name__)

Instance = db_models.Instance
Status = db_models.ServiceStatusRecord
KINDS = (events.HEARTBEAT_EXPIRED, events.HEARTBEAT_RECOVERED)


def _settled_instances(context):
    """(id, last heartbeat) of live, running instances with no task."""
    with db_api.reader(context) as session:
        return session.execute(
            sa.select(Instance.id, Status.updated_at)
            .join(Status, Status.instance_id == Instance.id)
            .where(Instance.deleted == sa.false(),
                   Instance.server_status == states.ServerStatus.ACTIVE,
                   Instance.task_id == states.InstanceTasks.NONE.code)).all()


def check(context, now=None):
    """Log expiries and recoveries; returns {instance id: kind logged}."""
    now = now or db_models.utcnow()
    expiry = datetime.timedelta(seconds=CONF.agent_heartbeat_expiry)
    rows = _settled_instances(context)
    last = events.last_of_kinds(context, [row[0] for row in rows], KINDS)
    logged = {}
    for instance_id, heartbeat in rows:
        expired = heartbeat is not None and now - heartbeat >= expiry
        was_expired = last.get(instance_id) == events.HEARTBEAT_EXPIRED
        if expired and not was_expired:
            kind = events.HEARTBEAT_EXPIRED
            message = ('The guest agent has not reported for %d seconds '
                       '(last report %s UTC): the database may be down or '
                       'its server unreachable. Restart the instance if it '
                       'does not recover.' % (
                           (now - heartbeat).total_seconds(),
                           heartbeat.isoformat(timespec='seconds')))
        elif was_expired and not expired:
            kind = events.HEARTBEAT_RECOVERED
            message = 'The guest agent reports again; the instance is back.'
        else:
            continue
        if events.record(context, instance_id, kind, message,
                         actor='system'):
            logged[instance_id] = kind
    removed = events.purge(context)
    if removed:
        LOG.info('Removed %d events older than %d days', removed,
                 CONF.instance_events_max_age_days)
    return logged
