"""Upgrading an instance to another version of its datastore.

``PUT/PATCH /instances/{id}`` with ``datastore_version`` (a version id or
name of the instance's own datastore). Refused with 400 before anything
changes when the version belongs to another datastore or another engine
manager, is inactive, is the current one, or is older (a downgrade). The
taskmanager's ``upgrade`` flow has the guest restart its engine on the
new version with the same data, configuration and users; the instance's
version changes only once that worked.
"""

import re

from trove.common import exception, states
from trove.datastore import models as datastore_models
from trove.instance import actions
from trove.records import service_status
from trove.taskmanager import api as taskmanager_api


def version_key(number):
    """Comparable form of a version number: '10.11.6' -> (10, 11, 6)."""
    return tuple(int(part) for part in re.findall(r'\d+', number or ''))


def target_version(context, instance, reference):
    current = instance.datastore_version
    datastore = instance.datastore
    try:
        wanted = datastore_models.get_version(context, datastore, reference)
    except exception.DatastoreVersionNotFound:
        raise exception.BadRequest(
            'Datastore version %s is not a version of %s, the datastore of '
            'instance %s.' % (reference, datastore.name, instance.id))
    if wanted.id == current.id:
        raise exception.BadRequest('Instance %s already runs %s %s.'
                                   % (instance.id, datastore.name,
                                      current.name))
    if not wanted.active:
        raise exception.DatastoreVersionInactive(version=wanted.name)
    if wanted.manager != current.manager:
        raise exception.BadRequest(
            'Version %s is managed by %s, not %s: it cannot run this '
            'instance\'s data.' % (wanted.name, wanted.manager,
                                   current.manager))
    if version_key(wanted.version) < version_key(current.version):
        raise exception.BadRequest(
            'Downgrading %s from %s (%s) to %s (%s) is not supported.'
            % (datastore.name, current.name, current.version, wanted.name,
               wanted.version))
    return wanted


def upgrade(context, instance, reference):
    wanted = target_version(context, instance, reference)
    actions.validate_can_perform_action(instance)
    actions.set_task(context, instance.id, states.InstanceTasks.UPGRADING,
                     work='upgrade',
                     args={'datastore_version_id': wanted.id})
    service_status.set_status(context, instance.id,
                              states.ServiceStatuses.UPGRADING)
    actions.nudge(instance.id, lambda: taskmanager_api.API(context).upgrade(
        instance.id, wanted.id))
