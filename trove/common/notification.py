"""Usage notifications ``trove.instance.*``, with upstream's payload keys.

Emitted by the taskmanager when an instance becomes active (``create``),
is gone (``delete``), got a bigger volume (``modify_volume``) or another
flavor (``modify_flavor``), and for every live instance once per audit
period (``exists``). They go through oslo.messaging's notifier (driver
and topics from ``[oslo_messaging_notifications]``; no driver, no
message), so a billing service consumes them as it does upstream's. A
notification that cannot be sent is logged, never fails the work.
"""

import datetime
import types

import oslo_messaging as messaging
import sqlalchemy as sa
from oslo_log import log as logging

from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)

# Upstream's notification_service_id map (per datastore manager).
SERVICE_IDS = {
    'mysql': '2f3ff068-2bfb-4f70-9a9d-a6bb65bc084b',
    'mariadb': '7a4f82cc-10d2-4bc6-aadc-d9aacc2a3cb5',
    'postgresql': 'ac277e0d-4f21-40aa-b347-1ea31e571720',
}

_notifiers = {}


def notifier(service='taskmanager'):
    if service not in _notifiers:
        transport = messaging.get_notification_transport(CONF)
        _notifiers[service] = messaging.Notifier(
            transport, publisher_id='%s.%s' % (service, CONF.host),
            serializer=messaging.JsonPayloadSerializer())
    return _notifiers[service]


def reset():
    """Forget the notifiers (tests, a changed transport)."""
    _notifiers.clear()


def isotime(value):
    return value.isoformat(sep=' ', timespec='seconds') if value else None


def usage_payload(row, flavor, **extra):
    """The base and common traits of an instance row (deleted or not);
    ``row.manager`` is its datastore manager."""
    created = isotime(row.created)
    payload = {
        'created_at': created,
        'name': row.name,
        'instance_id': row.id,
        'instance_name': row.name,
        'instance_type_id': row.flavor_id,
        'launched_at': created,
        'nova_instance_id': row.compute_instance_id,
        'region': CONF.region,
        'state_description': (row.server_status or '').lower(),
        'state': (row.server_status or '').lower(),
        'tenant_id': row.tenant_id,
        'user_id': None,
        'instance_type': (flavor or {}).get('name'),
        'service_id': SERVICE_IDS.get(row.manager,
                                      'unknown-service-id-error'),
        'instance_size': (flavor or {}).get('ram'),
        'availability_zone': row.availability_zone,
        'volume_size': row.volume_size,
        'nova_volume_id': row.volume_id,
    }
    payload.update(extra)
    return payload


_COLUMNS = ('id', 'name', 'tenant_id', 'flavor_id', 'created',
            'compute_instance_id', 'server_status', 'availability_zone',
            'volume_size', 'volume_id', 'deleted')


def load_row(context, instance_id):
    """What a payload needs of an instance, or None."""
    Row, Version = db_models.Instance, db_models.DatastoreVersion
    with db_api.reader(context) as session:
        found = session.execute(
            sa.select(*[getattr(Row, c) for c in _COLUMNS],
                      Version.manager)
            .outerjoin(Version, Version.id == Row.datastore_version_id)
            .where(Row.id == instance_id)).first()
    if found is None:
        return None
    return types.SimpleNamespace(**dict(zip(_COLUMNS + ('manager',),
                                            found, strict=True)))


def send(context, event_type, payload, service='taskmanager'):
    try:
        ctxt = context.to_dict() if hasattr(context, 'to_dict') else {}
        notifier(service).info(ctxt, event_type, payload)
    except Exception:
        LOG.exception('Could not send the %s notification of %s',
                      event_type, payload.get('instance_id'))


def notify_instance(context, event_type, instance_id, flavor, **extra):
    """Send ``trove.instance.<event_type>`` about one instance (never
    raises: a lost notification must not fail the work)."""
    try:
        row = load_row(context, instance_id)
        if row is None:
            return
        if not extra.get('user_id'):
            extra['user_id'] = getattr(context, 'user_id', None)
        payload = usage_payload(row, flavor, **extra)
    except Exception:
        LOG.exception('Could not build the %s notification of %s',
                      event_type, instance_id)
        return
    send(context, 'trove.instance.' + event_type, payload)


def now_text():
    return isotime(db_models.utcnow())


def audit_period(interval, now=None):
    """(beginning, ending) of the audit period that just ended."""
    now = now or db_models.utcnow()
    since_epoch = (now - datetime.datetime(1970, 1, 1)).total_seconds()
    ending = now - datetime.timedelta(
        seconds=since_epoch % interval if interval else 0)
    return ending - datetime.timedelta(seconds=interval), ending
