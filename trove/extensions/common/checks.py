"""Preconditions of the database/user/root APIs."""

from trove.common import exception
from trove.common import policy
from trove.common import states
from trove.instance import models as instance_models

SUPPORTED_MANAGERS = ('mysql', 'mariadb', 'postgresql')


def load_running_instance(context, instance_id, rule):
    """The instance, if the caller may use ``rule`` on it and its engine
    answers queries (422 otherwise)."""
    instance = instance_models.load(context, instance_id)
    policy.authorize_on_target(context, rule, {'tenant': instance.tenant_id})
    if instance.manager not in SUPPORTED_MANAGERS:
        raise exception.NotImplementedForDatastore()
    if instance.service_status not in states.DATASTORE_RUNNING_STATUSES:
        raise exception.DatastoreNotRunning(
            instance_id=instance.id,
            status=instance.service_status.api_status)
    return instance
