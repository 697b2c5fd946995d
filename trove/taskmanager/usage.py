"""The taskmanager's usage notifications: what each flow emits when it
succeeds, and the periodic ``exists`` audit of every live instance."""

import sqlalchemy as sa
from oslo_log import log as logging

from trove.common import notification
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)


def _flavor(provider, context, flavor_id):
    try:
        return provider.flavors.get(context, flavor_id).to_dict()
    except Exception as error:
        LOG.info('Flavor %s is unknown for a notification: %s', flavor_id,
                 error)
        return {'id': flavor_id}


def instance_event(flow, event_type, flavor_id=None, **extra):
    """Send ``trove.instance.<event_type>`` for the flow's instance."""
    record = flow.record
    flavor = _flavor(flow.provider, flow.context,
                     flavor_id or (record.flavor_id if record else None))
    notification.notify_instance(flow.context, event_type, flow.instance_id,
                                 flavor, **extra)


def publish_exists(context, provider):
    """``trove.instance.exists`` for every live instance, with the audit
    period that just ended; returns how many were sent."""
    interval = CONF.exists_notification_interval
    beginning, ending = notification.audit_period(interval)
    with db_api.reader(context) as session:
        ids = [row_id for (row_id,) in session.execute(
            sa.select(db_models.Instance.id).where(
                db_models.Instance.deleted == sa.false()))]
    flavors = {}
    sent = 0
    for instance_id in ids:
        row = notification.load_row(context, instance_id)
        if row is None or row.deleted:
            continue
        if row.flavor_id not in flavors:
            flavors[row.flavor_id] = _flavor(provider, context,
                                             row.flavor_id)
        notification.send(context, 'trove.instance.exists',
                          notification.usage_payload(
                              row, flavors[row.flavor_id],
                              audit_period_beginning=notification.isotime(
                                  beginning),
                              audit_period_ending=notification.isotime(
                                  ending)))
        sent += 1
    LOG.info('Sent %d exists notifications', sent)
    return sent
