"""What users do to an existing instance: restart, resize, update, delete.

Each action checks that the instance can take it (422 otherwise), records
the intent (task, status, quota) and the work in one transaction, and
casts the work to the taskmanagers.
"""

import json

import sqlalchemy as sa
from oslo_log import log as logging

from trove.common import exception, states
from trove.conf import CONF
from trove.configuration import instances as configuration_instances
from trove.db import api as db_api
from trove.db import models as db_models
from trove.flavor import models as flavor_models
from trove.instance import create as instance_create
from trove.quota import quota
from trove.records import service_status
from trove.records import work_claims as claims
from trove.taskmanager import api as taskmanager_api

LOG = logging.getLogger(__name__)

Row = db_models.Instance


def validate_can_perform_action(instance):
    """422 unless the instance is settled and its datastore answers."""
    def refuse(kind, status):
        raise exception.InstanceNotActionable(instance_id=instance.id,
                                              kind=kind, status=status)

    if instance.server_status != states.ServerStatus.ACTIVE:
        refuse('instance', instance.status)
    if instance.task not in (states.InstanceTasks.NONE,
                             states.InstanceTasks.RESTART_REQUIRED):
        refuse('task', instance.task.db_text)
    if instance.service_status not in \
            states.ACTION_ALLOWED_SERVICE_STATUSES:
        refuse('instance', instance.service_status.api_status)
    if instance.has_running_backup:
        refuse('instance', states.InstanceStatus.BACKUP)


def set_task(context, instance_id, task, work=None, args=None, **values):
    """Set the task and, with ``work``, submit that flow to the
    taskmanagers in the same transaction."""
    values.update(task_id=task.code, task_description=task.db_text,
                  task_start_time=db_models.utcnow(),
                  updated=db_models.utcnow())
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == instance_id)
                        .values(**values))
        if work:
            claims.submit(session, instance_id, 'instance', work, args=args,
                          request_id=getattr(context, 'request_id', None))


def nudge(instance_id, cast):
    """Cast recorded work to the taskmanagers. The work is already in the
    control DB, so a cast that fails (or is lost) only delays it: the
    sweep of any taskmanager takes it over within work_pickup_timeout."""
    try:
        cast()
    except Exception as error:
        LOG.warning('Could not cast the work on instance %s (%s); a '
                    'taskmanager will take it over within %d seconds',
                    instance_id, error, CONF.work_pickup_timeout)


def restart(context, instance):
    validate_can_perform_action(instance)
    set_task(context, instance.id, states.InstanceTasks.REBOOTING,
             work='restart')
    service_status.set_status(context, instance.id,
                              states.ServiceStatuses.RESTARTING)
    nudge(instance.id,
          lambda: taskmanager_api.API(context).restart(instance.id))


def resize_flavor(context, instance, flavor_ref):
    new_flavor = flavor_models.get_flavor(
        context, instance_create.flavor_id_from_ref(flavor_ref))
    old_flavor = flavor_models.get_flavor(context, instance.row.flavor_id)
    if new_flavor.id == old_flavor.id:
        raise exception.CannotResizeToSameSize()
    validate_can_perform_action(instance)
    reservation = quota.reserve(context, instance.tenant_id,
                                {'ram': new_flavor.ram - old_flavor.ram})
    try:
        set_task(context, instance.id, states.InstanceTasks.RESIZING,
                 work='resize_flavor',
                 args={'old_flavor_id': old_flavor.id,
                       'new_flavor_id': new_flavor.id})
    except Exception:
        reservation.rollback()
        raise
    reservation.commit()
    nudge(instance.id,
          lambda: taskmanager_api.API(context).resize_flavor(instance.id))


def resize_volume(context, instance, new_size):
    current = instance.row.volume_size
    if current is None:
        raise exception.BadRequest('Instance %s has no volume to resize.'
                                   % instance.id)
    try:
        new_size = int(new_size)
    except (TypeError, ValueError):
        raise exception.BadRequest('Volume size must be an integer.')
    if new_size <= current:
        raise exception.BadRequest(
            'The new volume size (%d GB) must be larger than the current '
            'one (%d GB).' % (new_size, current))
    if new_size > CONF.max_accepted_volume_size:
        raise exception.VolumeQuotaExceeded(
            size=new_size, max_size=CONF.max_accepted_volume_size)
    validate_can_perform_action(instance)
    reservation = quota.reserve(context, instance.tenant_id,
                                {'volumes': new_size - current})
    try:
        set_task(context, instance.id, states.InstanceTasks.RESIZING,
                 work='resize_volume', args={'new_size': new_size})
    except Exception:
        reservation.rollback()
        raise
    reservation.commit()
    nudge(instance.id,
          lambda: taskmanager_api.API(context).resize_volume(instance.id))


def reset_status(context, instance):
    """Back to a state from which the user can act: no task, no work due
    (a flow still running stops at its next step), status unknown until
    the next heartbeat, running backups failed."""
    set_task(context, instance.id, states.InstanceTasks.NONE)
    claims.forget(context, instance.id)
    service_status.set_status(context, instance.id,
                              states.ServiceStatuses.UNKNOWN)
    with db_api.writer(context) as session:
        session.query(db_models.Backup).filter(
            db_models.Backup.instance_id == instance.id,
            db_models.Backup.state.in_(states.BackupState.RUNNING_STATES),
        ).update({'state': states.BackupState.FAILED},
                 synchronize_session=False)


def check_single_change(data):
    others = [key for key in data if key != 'name']
    if len(others) > 1:
        raise exception.BadRequest(
            'Only one attribute besides the name may be updated at a time.')


def update(context, instance, data):
    """PUT/PATCH /instances/{id}: rename, access, configuration group
    (one change at a time)."""
    check_single_change(data)
    if 'configuration' in data or not data:
        # A configuration id attaches, null detaches, and so does an
        # empty {"instance": {}} as upstream.
        if data.get('configuration'):
            configuration_instances.attach(context, instance,
                                           data['configuration'])
        else:
            configuration_instances.detach(context, instance)
    values = {}
    if 'name' in data:
        values['name'] = data['name']
    if 'access' in data:
        access = dict(instance.access or {})
        access.update(data['access'])
        values['access'] = json.dumps(access)
    if values:
        values['updated'] = db_models.utcnow()
        with db_api.writer(context) as session:
            session.execute(sa.update(Row).where(Row.id == instance.id)
                            .values(**values))


def delete(context, instance):
    """Always accepted, also while the instance builds: the build stops
    and the delete removes whatever it made."""
    if instance.task is states.InstanceTasks.DELETING:
        return
    # Only the request that moves the instance to DELETING releases its
    # quota: two deletes at once must not both give it back.
    if not _claim_delete(context, instance):
        return
    flavor_ram = _flavor_ram(context, instance.row.flavor_id)
    reservation = quota.reserve(context, instance.tenant_id, {
        'instances': -1, 'ram': -flavor_ram,
        'volumes': -(instance.row.volume_size or 0)})
    reservation.commit()
    LOG.info('Instance %s is being deleted', instance.id)
    nudge(instance.id, lambda: taskmanager_api.API(context).delete_instance(
        instance.id))


def _claim_delete(context, instance):
    """Set the DELETING task and submit the delete, unless a concurrent
    request already did."""
    task = states.InstanceTasks.DELETING
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        claimed = session.execute(
            sa.update(Row)
            .where(Row.id == instance.id, Row.task_id != task.code)
            .values(task_id=task.code, task_description=task.db_text,
                    task_start_time=now, updated=now,
                    configuration_id=None)).rowcount
        if claimed == 1:
            claims.submit(session, instance.id, 'instance', 'delete',
                          request_id=getattr(context, 'request_id', None))
    return claimed == 1


def _flavor_ram(context, flavor_id):
    try:
        return flavor_models.get_flavor(context, flavor_id).ram
    except exception.FlavorNotFound:
        LOG.warning('Flavor %s of a deleted instance is gone; its RAM '
                    'quota is not released', flavor_id)
        return 0
