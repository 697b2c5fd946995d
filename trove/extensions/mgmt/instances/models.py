"""What an administrator does to any project's instance (mgmt API).

Reads: every instance (deleted ones too), each with its server, volume
and guest as the provider and the guest see them now. Actions: stop the
datastore, reboot, rebuild or migrate the server (taskmanager flows, as
the user actions are), reset a stuck task, and the guest's diagnostics.
Nothing here bypasses the claims: a flow is recorded and cast like any
other.
"""

from oslo_log import log as logging

from trove import compute
from trove.common import exception, states
from trove.compute import base as compute_base
from trove.guestagent import api as guest_api
from trove.instance import actions
from trove.instance import models as instance_models
from trove.records import root_history
from trove.records import service_status
from trove.records import work_claims as claims
from trove.taskmanager import api as taskmanager_api

LOG = logging.getLogger(__name__)

Tasks = states.InstanceTasks


def list_instances(context, deleted=None, project_id=None,
                   include_clustered=False):
    return instance_models.list_for_admin(
        context, deleted=deleted, project_id=project_id,
        include_clustered=include_clustered)


def load(context, instance_id, include_deleted=True):
    return instance_models.load(context, instance_id,
                                include_deleted=include_deleted)


# What the provider and the guest say now ------------------------------------
def _read(what, resource_id, instance, read, not_found):
    """What the provider says of one of the instance's resources, or None
    (gone, deleted, or unreadable: the view shows null)."""
    if not resource_id or instance.row.deleted:
        return None
    try:
        return read(resource_id)
    except not_found:
        return None
    except Exception as error:
        LOG.warning('%s %s of %s cannot be read: %s', what, resource_id,
                    instance.id, error)
        return None


def server_of(context, instance):
    compute_driver = compute.get_provider().compute
    return _read('Server', instance.row.compute_instance_id, instance,
                 lambda server_id: compute_driver.get_server(context,
                                                             server_id),
                 compute_base.ServerNotFound)


def volume_of(context, instance):
    volumes = compute.get_provider().volumes
    return _read('Volume', instance.row.volume_id, instance,
                 lambda volume_id: volumes.get_volume(context, volume_id),
                 compute_base.VolumeNotFound)


def root_enabled(context, instance):
    history = root_history.get(context, instance.id)
    if not root_history.is_enabled(history):
        return None, None
    return history.created, history.user


# Actions ----------------------------------------------------------------------
def _require_settled(instance):
    """An administrator may act on a broken instance (an error task, a
    dead guest), not on one that is being built, changed or deleted."""
    task = instance.task
    if instance.row.deleted or task is Tasks.DELETING:
        raise exception.InstanceNotActionable(
            instance_id=instance.id, kind='task', status=task.db_text)
    if task not in (Tasks.NONE, Tasks.RESTART_REQUIRED) \
            and not task.is_error:
        raise exception.InstanceNotActionable(
            instance_id=instance.id, kind='task', status=task.db_text)


def stop(context, instance):
    """Stop the datastore and keep it stopped (the guest does not start
    it on its own again): a call, so the answer says it is stopped."""
    _require_settled(instance)
    # Only an agent that reports can stop its engine: asking one that
    # never reported (or is being restarted) would only wait out the
    # call's timeout and answer 504.
    if instance.service_status not in states.ACTION_ALLOWED_SERVICE_STATUSES:
        raise exception.InstanceNotActionable(
            instance_id=instance.id, kind='service',
            status=instance.service_status.description)
    guest_api.API(context, instance.id).stop_db()
    LOG.info('Datastore of instance %s stopped by an administrator',
             instance.id)


def reboot(context, instance):
    _require_settled(instance)
    actions.set_task(context, instance.id, Tasks.REBOOTING, work='reboot')
    service_status.set_status(context, instance.id,
                              states.ServiceStatuses.RESTARTING)
    actions.nudge(instance.id,
                  lambda: taskmanager_api.API(context).reboot(instance.id))


def rebuild(context, instance, image_id):
    _require_settled(instance)
    compute.get_provider().compute.validate_rebuild(image_id)
    actions.set_task(context, instance.id, Tasks.BUILDING, work='rebuild',
                     args={'image_id': image_id})
    actions.nudge(instance.id, lambda: taskmanager_api.API(context).rebuild(
        instance.id, image_id))


def migrate(context, instance, host=None):
    """Refused by every provider here: the local one has one host (400),
    the openstack one does not implement it yet (501)."""
    _require_settled(instance)
    provider = compute.get_provider()
    provider.compute.validate_migrate(host)
    raise compute_base.ProviderCannotYet(
        what='Migrating servers', provider=provider.name)


def reset_task_status(context, instance):
    """Task NONE and no work due: a flow still running stops at its next
    step (upstream only clears the task)."""
    actions.set_task(context, instance.id, Tasks.NONE)
    claims.forget(context, instance.id)


def _guest(context, instance):
    if instance.row.deleted:
        raise exception.InstanceNotFound(instance=instance.id)
    return guest_api.API(context, instance.id)


def diagnostics(context, instance):
    return _guest(context, instance).get_diagnostics()


def hwinfo(context, instance):
    return _guest(context, instance).get_hwinfo()


def rpc_ping(context, instance):
    return _guest(context, instance).rpc_ping()
