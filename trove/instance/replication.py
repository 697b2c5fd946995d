"""Replication requests in the API: create replicas, detach, promote, eject.

Upstream's contract (reference §1.3, replication-failover §1): replicas
copy their source's flavor, volume and datastore version and take no
databases or users of their own; a replica of a replica is refused; a
source with replicas cannot be deleted; promotion and ejection act on the
whole replica set, every member showing PROMOTE or EJECT while it runs.
Each request is checked here (4xx before anything changes), then the
task(s) and the work are recorded in one transaction and the work cast
to the taskmanagers, which do it as claimed flows.

Better than upstream: quota is reserved for every replica, not one; a
primary has at most ``max_replicas_per_primary`` replicas.
"""

import datetime
import json

from oslo_log import log as logging
import sqlalchemy as sa

from trove import compute
from trove.common import datastore_registry
from trove.common import exception
from trove.common import states
from trove.compute import base as compute_base
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.instance import actions
from trove.instance import models
from trove.quota import quota
from trove.records import service_status
from trove.records import work_claims as claims
from trove.taskmanager import api as taskmanager_api

LOG = logging.getLogger(__name__)

Row = db_models.Instance
Tasks = states.InstanceTasks
# Keys a replica takes from its source, refused in its create request.
COPIED_KEYS = ('datastore', 'locality')


# Views -----------------------------------------------------------------------
def replica_ids(context, instance_id):
    """Ids of the live replicas of an instance, oldest first."""
    with db_api.reader(context) as session:
        return [row_id for (row_id,) in session.query(Row.id).filter(
            Row.slave_of_id == instance_id, Row.deleted == sa.false())
            .order_by(Row.created, Row.id)]


# Create ----------------------------------------------------------------------
def check_create(data):
    """What a replica's create body may not hold (400s)."""
    for key in COPIED_KEYS:
        if data.get(key) is not None:
            raise exception.BadRequest(
                'Cannot specify %s when creating replicas.' % key)
    for nic in data.get('nics') or []:
        if isinstance(nic, dict) and nic.get('ip_address'):
            raise exception.BadRequest(
                'Cannot specify nic ip_address when creating replicas.')
    if data.get('databases') or data.get('users'):
        raise exception.ReplicaCreateWithUsersDatabasesError()
    if data.get('restorePoint'):
        raise exception.BadRequest(
            'Cannot specify restorePoint when creating replicas.')


def check_copied(data, source):
    """A flavorRef or volume naming what the replica gets anyway (the
    source's) is accepted: the legacy ``trove create`` always sends a
    flavor. Any other is refused, as upstream refuses them all."""
    flavor_ref = data.get('flavorRef')
    if flavor_ref is not None and str(flavor_ref).rstrip('/').rsplit(
            '/', 1)[-1] != str(source.row.flavor_id):
        raise exception.BadRequest(
            'Cannot specify flavorRef when creating replicas (a replica '
            'has its source\'s flavor %s).' % source.row.flavor_id)
    volume = data.get('volume')
    if volume is not None and (
            int(volume.get('size') or 0) != (source.row.volume_size or 0)
            or volume.get('type') not in (None, source.row.volume_type)):
        raise exception.BadRequest(
            'Cannot specify volume when creating replicas (a replica has '
            'its source\'s %s GB volume).' % source.row.volume_size)


def create(context, data):
    """Replicas of ``data['replica_of']``; returns the last one (as
    upstream's 200 shows)."""
    check_create(data)
    source = models.load(context, data['replica_of'])
    if source.row.cluster_id:
        raise exception.ClusterInstanceOperationNotSupported()
    check_copied(data, source)
    if source.row.slave_of_id:
        raise exception.ReplicaOfReplicaForbidden(id=source.id)
    manager = source.manager
    if not datastore_registry.replication_strategy(manager):
        raise exception.ReplicationNotSupported(
            datastore=source.datastore.name)
    actions.validate_can_perform_action(source)
    count = int(data.get('replica_count') or 1)
    existing = len(replica_ids(context, source.id))
    if existing + count > CONF.max_replicas_per_primary:
        raise exception.BadRequest(
            'Instance %s has %d replica(s); %d more would pass the limit of '
            '%d (max_replicas_per_primary).' % (
                source.id, existing, count, CONF.max_replicas_per_primary))
    flavor = compute.get_provider().flavors.get(context,
                                                source.row.flavor_id)
    _validate_placement(data, flavor, manager, source)
    size = source.row.volume_size or 0
    deltas = {'instances': count, 'ram': flavor.ram * count,
              'volumes': size * count}
    names = [data['name']] if count == 1 else [
        '%s-%d' % (data['name'], n) for n in range(1, count + 1)]
    with quota.reserved(context, context.project_id, deltas):
        ids = _create_rows(context, data, source, names)
        try:
            taskmanager_api.API(context).create_replica(ids)
        except Exception as error:
            LOG.exception('Could not ask the taskmanager to build replicas '
                          '%s', ids)
            _delete_rows(context, ids)
            raise exception.ServiceUnavailable(
                reason='the taskmanager cannot be reached (%s)' % error)
    LOG.info('Replicas %s of %s requested', ', '.join(ids), source.id)
    return models.load(context, ids[-1])


def _validate_placement(data, flavor, manager, source):
    compute.get_provider().validate(compute_base.ServerSpec(
        instance_id='', name=data['name'], flavor=flavor.to_dict(),
        datastore_manager=manager,
        availability_zone=data.get('availability_zone')
        or source.row.availability_zone, nics=data.get('nics') or [],
        access=data.get('access')))


def _create_rows(context, data, source, names):
    """The replicas' rows, statuses and ``create_replica`` work, in one
    transaction: they copy their source's flavor, volume, datastore
    version, zone and locality."""
    now = db_models.utcnow()
    access = data.get('access')
    src = source.row
    ids = []
    with db_api.writer(context) as session:
        for offset, name in enumerate(names):
            # Distinct creation times keep the replicas' order.
            created = now + datetime.timedelta(microseconds=offset)
            row = Row(
                name=name, tenant_id=context.project_id,
                flavor_id=src.flavor_id, volume_size=src.volume_size,
                volume_type=src.volume_type,
                datastore_version_id=src.datastore_version_id,
                slave_of_id=src.id,
                availability_zone=data.get('availability_zone')
                or src.availability_zone,
                nics=src.nics if not data.get('nics') else
                json.dumps(data['nics']),
                task_id=Tasks.BUILDING.code,
                task_description=Tasks.BUILDING.db_text,
                task_start_time=created,
                server_status=states.ServerStatus.BUILD,
                region_id=CONF.service_credentials.region_name,
                access=json.dumps(access)
                if access is not None else None,
                created=created, updated=created)
            session.add(row)
            session.flush()
            service_status.create(session, row.id)
            claims.submit(session, row.id, 'instance', 'create_replica',
                          args={'replica_of': src.id},
                          request_id=getattr(context, 'request_id', None))
            ids.append(row.id)
    return ids


def _delete_rows(context, ids):
    with db_api.writer(context) as session:
        for model, column in ((db_models.WorkClaim,
                               db_models.WorkClaim.resource_id),
                              (db_models.ServiceStatusRecord,
                               db_models.ServiceStatusRecord.instance_id),
                              (Row, Row.id)):
            session.query(model).filter(column.in_(ids)).delete(
                synchronize_session=False)


# Actions on a replica set -----------------------------------------------------
def _members(context, primary_id):
    """The primary and its replicas, as loaded Instances."""
    return [models.load(context, primary_id)] + [
        models.load(context, replica_id)
        for replica_id in replica_ids(context, primary_id)]


def members_of(context, primary_id):
    """The primary and its replicas (for dry-run plans)."""
    return _members(context, primary_id)


def _set_tasks(context, members, task, work_on, work):
    """``task`` on every member and ``work`` on ``work_on``, together."""
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(
            Row.id.in_([m.id for m in members])).values(
            task_id=task.code, task_description=task.db_text,
            task_start_time=now, updated=now))
        claims.submit(session, work_on, 'instance', work,
                      args={'members': [m.id for m in members]},
                      request_id=getattr(context, 'request_id', None))


def detach(context, instance):
    """PUT/PATCH with ``replica_of``: the replica becomes a standalone
    instance."""
    if not instance.row.slave_of_id:
        raise exception.BadRequest('Instance %s is not a replica.'
                                   % instance.id)
    actions.validate_can_perform_action(instance)
    actions.set_task(context, instance.id, Tasks.DETACHING, work='detach')
    actions.nudge(instance.id, lambda: taskmanager_api.API(
        context).detach_replica(instance.id))


def promote(context, instance):
    """The replica becomes the source of its set."""
    if not instance.row.slave_of_id:
        raise exception.BadRequest('Instance %s is not a replica.'
                                   % instance.id)
    members = _members(context, instance.row.slave_of_id)
    for member in members:
        actions.validate_can_perform_action(member)
    _set_tasks(context, members, Tasks.PROMOTING, instance.id, 'promote')
    actions.nudge(instance.id, lambda: taskmanager_api.API(
        context).promote_to_replica_source(instance.id))


def eject(context, instance):
    """Replace a source whose guest stopped reporting by its most
    advanced replica."""
    if instance.row.slave_of_id:
        raise exception.BadRequest('Instance %s is a replica; eject its '
                                   'source instead.' % instance.id)
    members = _members(context, instance.id)
    if len(members) < 2:
        raise exception.BadRequest('Instance %s has no replicas.'
                                   % instance.id)
    _status, updated = service_status.get(context, instance.id)
    expiry = datetime.timedelta(seconds=CONF.agent_heartbeat_expiry)
    if updated is not None and db_models.utcnow() - updated < expiry:
        raise exception.BadRequest(
            'Replica source %s cannot be ejected as it has a current '
            'heartbeat.' % instance.id)
    for member in members[1:]:
        actions.validate_can_perform_action(member)
    _set_tasks(context, members, Tasks.EJECTING, instance.id, 'eject')
    actions.nudge(instance.id, lambda: taskmanager_api.API(
        context).eject_replica_source(instance.id))


def check_delete(context, instance):
    """403 for a source that still has replicas."""
    if replica_ids(context, instance.id):
        raise exception.ReplicaSourceDeleteForbidden()
