"""Creating a backup: the checks, the row, the quota and the cast.

``POST /backups`` with an instance takes a new backup (full, or
incremental on ``parent_id`` or, with ``incremental: 1``, on the
instance's last completed backup). With ``restore_from`` it registers an
existing backup object (copied from another region, say) as a RESTORED
backup without any taskmanager work, as upstream does.
"""

import re

from oslo_log import log as logging

from trove.backup import models
from trove.backup import storage as control_storage
from trove.common import datastore_registry
from trove.common import exception
from trove.common import states
from trove.conf import CONF
from trove.datastore import models as datastore_models
from trove.db import api as db_api
from trove.db import models as db_models
from trove.instance import actions as instance_actions
from trove.instance import models as instance_models
from trove.quota import quota
from trove.records import events

LOG = logging.getLogger(__name__)

BackupState = states.BackupState
# Container names end up in URLs and paths: no slashes, quotes, spaces.
_CONTAINER = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$')


def _storage_driver(data):
    driver = data.get('storage_driver') or CONF.storage_strategy
    if driver == 'cinder':
        raise exception.NotImplementedForDatastore(
            'Backups as volume snapshots (storage_driver "cinder") are not '
            'supported by this deployment.')
    if driver not in ('swift', 'local'):
        raise exception.BadRequest('Unknown storage_driver %r.' % driver)
    return driver


def _container(context, instance_id, requested):
    """The request's container, else the instance's then the project's
    backup strategy, else None (the guest's default)."""
    if requested:
        if not _CONTAINER.match(requested):
            raise exception.BadRequest(
                'Invalid swift_container %r: use letters, digits, ".", "_" '
                'and "-".' % requested)
        return requested
    with db_api.reader(context) as session:
        rows = session.query(db_models.BackupStrategy).filter(
            db_models.BackupStrategy.tenant_id == context.project_id,
            db_models.BackupStrategy.instance_id.in_(['', instance_id])
        ).all()
    by_instance = {row.instance_id: row.swift_container for row in rows}
    return by_instance.get(instance_id) or by_instance.get('') or None


def _check_strategy(instance):
    manager = instance.manager
    strategy = None
    if manager in CONF:
        strategy = getattr(CONF.get(manager), 'backup_strategy', None)
    if strategy not in datastore_registry.BACKUP_STRATEGIES:
        raise exception.NotImplementedForDatastore(
            'Backups of datastore %s (strategy %s) are not supported by '
            'this deployment.' % (instance.datastore.name, strategy))


def _parent(context, instance, data, driver):
    parent_id = data.get('parent_id')
    if parent_id:
        try:
            parent = models.load(context, parent_id)
        except exception.BackupNotFound:
            raise exception.BackupNotFound(uuid=parent_id) from None
        reason = None
        if parent.instance_id != instance.id:
            reason = 'it is a backup of another instance'
        elif parent.state != BackupState.COMPLETED:
            reason = 'its status is %s, not COMPLETED' % parent.state
        elif parent.storage_driver != driver:
            reason = 'it is stored by %s, not %s' % (parent.storage_driver,
                                                      driver)
        if reason:
            raise models.ParentBackupNotUsable(parent_id=parent_id,
                                               reason=reason)
        return parent
    if data.get('incremental'):
        return models.latest_completed(context, instance.id, driver)
    return None


def create(context, data, schedule_id=None):
    """Create a backup from a validated ``backup`` body; returns its row.
    ``schedule_id``: the backup schedule taking it."""
    if data.get('restore_from'):
        return _create_restored(context, data)
    if not data.get('instance'):
        raise exception.BadRequest('A backup needs the "instance" to back '
                                   'up (or "restore_from").')
    instance = instance_models.load(context, data['instance'])
    instance_actions.validate_can_perform_action(instance)
    if instance.row.cluster_id:
        raise exception.NotImplementedForDatastore(
            'Backups of cluster members are not supported.')
    _check_strategy(instance)
    driver = _storage_driver(data)
    container = _container(context, instance.id,
                           data.get('swift_container'))
    storage = control_storage.for_driver(context, driver)
    with control_storage.errors_as_api_errors():
        storage.check_access()
    parent = _parent(context, instance, data, driver)

    with quota.reserved(context, context.project_id, {'backups': 1}):
        row_id = models.insert(
            context, name=data['name'], description=data.get('description'),
            tenant_id=context.project_id, instance_id=instance.id,
            state=BackupState.NEW,
            backup_type=models.INCREMENTAL if parent else models.FULL,
            parent_id=parent.id if parent else None,
            datastore_version_id=instance.row.datastore_version_id,
            storage_driver=driver, schedule_id=schedule_id)
        _refuse_concurrent(context, instance, row_id)
        row = models.load(context, row_id)
        models.cast_create(context, row_id,
                           models.backup_info(row, instance, parent,
                                              container), instance.id)
    LOG.info('Backup %s of instance %s requested (%s, %s)', row_id,
             instance.id, row.backup_type, driver)
    events.record(context, instance.id, events.BACKUP,
                  'The %s backup %s "%s" was requested%s.' % (
                      row.backup_type, row_id, row.name,
                      ' by backup schedule %s' % schedule_id
                      if schedule_id else ''))
    return row


def _refuse_concurrent(context, instance, row_id):
    """Two requests may pass the running-backup check together; the
    later row gives way."""
    running = models.running_backups_of(context, instance.id)
    if running and running[0] != row_id:
        models.remove(context, row_id)
        raise exception.InstanceNotActionable(
            instance_id=instance.id, kind='instance',
            status=states.InstanceStatus.BACKUP)


def _create_restored(context, data):
    source = data['restore_from']
    location = source['remote_location']
    version = datastore_models.get_version_by_uuid(
        context, source['local_datastore_version_id'])
    storage = control_storage.for_location(context, location)
    with control_storage.errors_as_api_errors(location=location):
        checksum = storage.checksum(location)
        metadata = storage.metadata(location)
    with quota.reserved(context, context.project_id, {'backups': 1}):
        row_id = models.insert(
            context, name=data['name'], description=data.get('description'),
            tenant_id=context.project_id, state=BackupState.RESTORED,
            location=location, checksum=checksum,
            size=float(source.get('size') or 0.0),
            backup_type=(models.INCREMENTAL
                         if metadata.get('parent_location')
                         else models.FULL),
            datastore_version_id=version.id,
            storage_driver=storage.driver)
    LOG.info('Backup %s registered from %s', row_id, location)
    return models.load(context, row_id)
