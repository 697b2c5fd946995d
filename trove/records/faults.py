"""Instance faults: why an instance is in error, in words a user can act on.

One row per instance, updated in place; the detail view shows the message
(and the details to administrators). ``save_in`` writes in the caller's
transaction, so an error state and its reason are recorded together.
"""

from oslo_log import log as logging

from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import events

LOG = logging.getLogger(__name__)

MAX_MESSAGE = 255


def save_in(session, instance_id, message, details='', context=None):
    """Record the fault, and its event in the instance's event log, in
    ``session``'s transaction."""
    message = (message or 'Unknown error').strip()
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 3] + '...'
    LOG.warning('Fault of instance %s: %s', instance_id, message)
    fault = session.query(db_models.InstanceFault).filter_by(
        instance_id=instance_id).first()
    if fault is None:
        fault = db_models.InstanceFault(
            id=db_models.generate_uuid(), instance_id=instance_id)
        session.add(fault)
    fault.message = message
    fault.details = details or ''
    fault.deleted = False
    fault.deleted_at = None
    fault.updated = db_models.utcnow()
    events.record_in(session, context, instance_id, events.FAULT, message,
                     actor='system')


def save_fault(context, instance_id, message, details=''):
    """Record the fault in a transaction of its own; False if the
    instance is unknown (nothing is written)."""
    with db_api.writer(context) as session:
        if session.get(db_models.Instance, instance_id) is None:
            LOG.warning('Fault of unknown instance %s ignored: %s',
                        instance_id, message)
            return False
        save_in(session, instance_id, message, details, context=context)
    return True


def clear_fault(context, instance_id, recorded_before=None):
    """Stop showing the instance's fault (only one recorded before
    ``recorded_before``, when given)."""
    with db_api.writer(context) as session:
        query = session.query(db_models.InstanceFault).filter_by(
            instance_id=instance_id, deleted=False)
        if recorded_before is not None:
            query = query.filter(
                db_models.InstanceFault.updated < recorded_before)
        query.update({'deleted': True, 'deleted_at': db_models.utcnow()},
                     synchronize_session=False)
