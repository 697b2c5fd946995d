"""What users ask of clusters: create, grow, shrink, restart, upgrade,
reset, delete.

Each request is checked here (upstream's 400/422/501 rules) before
anything changes; then the cluster's task, its members' rows and the
work (one ``create`` per new member, one cluster flow) are recorded in
one transaction and cast to the taskmanagers, which do the work as
claimed flows. Members are ordinary instances with ``cluster_id`` set
and ``type`` ``member``: they are built and deleted by the instance
flows; the cluster flows join them into the cluster.
"""

import json

import sqlalchemy as sa
from oslo_log import log as logging

from trove.cluster import models
from trove.common import exception, states
from trove.conf import CONF
from trove.configuration import instances as configuration_instances
from trove.datastore import models as datastore_models
from trove.db import api as db_api
from trove.db import models as db_models
from trove.flavor import models as flavor_models
from trove.instance import actions as instance_actions
from trove.instance import create as instance_create
from trove.quota import quota
from trove.records import service_status
from trove.records import work_claims as claims
from trove.taskmanager import api as taskmanager_api

LOG = logging.getLogger(__name__)

Tasks = states.ClusterTasks
MEMBER = 'member'


# Checks ---------------------------------------------------------------------
def _member_specs(manager, specs):
    """(flavor id, volume size, nics) shared by every member spec;
    upstream's 400s if they differ."""
    flavor_ids = {instance_create.flavor_id_from_ref(spec['flavorRef'])
                  for spec in specs}
    if len(flavor_ids) > 1:
        raise exception.ClusterFlavorsNotEqual()
    volume_support = models.cluster_option(manager, 'volume_support', True)
    sizes = set()
    for spec in specs:
        volume = spec.get('volume')
        if volume_support and (not volume or volume.get('size') is None):
            raise exception.ClusterVolumeSizeRequired()
        sizes.add(instance_create.volume_size_of(manager, volume))
    if len(sizes) > 1:
        raise exception.ClusterVolumeSizesNotEqual()
    networks = {tuple(sorted((nic.get('net-id') or nic.get('network_id')
                              or '') for nic in spec.get('nics') or []))
                for spec in specs}
    if len(networks) > 1:
        raise exception.ClusterNetworksNotEqual()
    return flavor_ids.pop(), sizes.pop(), list(specs[0].get('nics') or [])


def _supported_version(context, datastore):
    version = datastore_models.resolve(context, datastore.get('type'),
                                       datastore.get('version'))
    if not models.supports_clusters(version.manager):
        raise exception.ClusterDatastoreNotSupported(
            datastore=datastore.get('type'),
            datastore_version=version.name)
    return version


# Create ---------------------------------------------------------------------
def create(context, data):
    """A new cluster from a validated ``{"cluster": {...}}``'s inside."""
    version = _supported_version(context, data['datastore'])
    manager = version.manager
    specs = data['instances']
    least = models.cluster_option(manager, 'min_cluster_member_count', 3)
    if len(specs) < least:
        raise exception.ClusterNumInstancesNotLargeEnough(
            num_instances=least)
    flavor_id, volume_size, nics = _member_specs(manager, specs)
    flavor = flavor_models.get_flavor(context, flavor_id)
    configuration_id = data.get('configuration')
    if configuration_id:
        configuration_instances.overrides_for_create(
            context, configuration_id, version)
    # What the provider cannot honour (an unknown zone, a locality
    # policy it lacks) is refused before any row exists.
    instance_create.provider_facts(
        {'name': data['name'], 'nics': nics,
         'availability_zone': specs[0].get('availability_zone'),
         'locality': data.get('locality')},
        flavor, manager, volume_size)
    count = len(specs)
    deltas = {'instances': count, 'ram': flavor.ram * count,
              'volumes': (volume_size or 0) * count}
    with quota.reserved(context, context.project_id, deltas):
        now = db_models.utcnow()
        with db_api.writer(context) as session:
            row = db_models.Cluster(
                name=data['name'], tenant_id=context.project_id,
                datastore_version_id=version.id,
                task_id=Tasks.BUILDING_INITIAL.code, task_start_time=now,
                configuration_id=configuration_id,
                locality=data.get('locality'), created=now, updated=now)
            session.add(row)
            session.flush()
            cluster_id = row.id
            _add_members(session, context, row, specs, flavor_id,
                         volume_size, nics, version.id, first_number=1)
            claims.submit(session, cluster_id, 'cluster', 'create_cluster',
                          request_id=getattr(context, 'request_id', None))
    LOG.info('Cluster %s (%s %s, %d members of flavor %s) requested by '
             'project %s', cluster_id, manager, version.name, count,
             flavor_id, context.project_id)
    instance_actions.nudge(cluster_id, lambda: taskmanager_api.API(
        context).create_cluster(cluster_id))
    return models.load(context, cluster_id)


def _add_members(session, context, cluster_row, specs, flavor_id,
                 volume_size, nics, version_id, first_number):
    """Member rows (task BUILDING) and their ``create`` work."""
    ids = []
    now = db_models.utcnow()
    for number, spec in enumerate(specs, start=first_number):
        member = db_models.Instance(
            name=spec.get('name') or '%s-member-%d' % (cluster_row.name,
                                                       number),
            tenant_id=cluster_row.tenant_id, flavor_id=flavor_id,
            volume_size=volume_size, datastore_version_id=version_id,
            task_id=states.InstanceTasks.BUILDING.code,
            task_description=states.InstanceTasks.BUILDING.db_text,
            task_start_time=now, server_status=states.ServerStatus.BUILD,
            region_id=CONF.service_credentials.region_name,
            configuration_id=cluster_row.configuration_id,
            availability_zone=spec.get('availability_zone'),
            nics=json.dumps(nics) if nics else None,
            cluster_id=cluster_row.id, type=MEMBER,
            created=now, updated=now)
        session.add(member)
        session.flush()
        service_status.create(session, member.id)
        claims.submit(session, member.id, 'instance', 'create', args={
            'databases': [], 'backup_id': None, 'has_secrets': False,
            'cluster_config': {'id': cluster_row.id,
                               'instance_type': MEMBER}},
            request_id=getattr(context, 'request_id', None))
        ids.append(member.id)
    return ids


# Actions ------------------------------------------------------------------
def grow(context, cluster, specs):
    cluster.validate_available()
    manager = cluster.manager
    flavor_id, volume_size, nics = _member_specs(manager, specs)
    if cluster.members:
        # Galera copies the whole data set to each member: they must all
        # be alike (upstream checks the new ones against each other only).
        first = cluster.members[0].row
        if str(first.flavor_id) != str(flavor_id):
            raise exception.ClusterFlavorsNotEqual()
        if (first.volume_size or None) != (volume_size or None):
            raise exception.ClusterVolumeSizesNotEqual()
    flavor = flavor_models.get_flavor(context, flavor_id)
    count = len(specs)
    deltas = {'instances': count, 'ram': flavor.ram * count,
              'volumes': (volume_size or 0) * count}
    with quota.reserved(context, context.project_id, deltas):
        with db_api.writer(context) as session:
            row = session.get(db_models.Cluster, cluster.id)
            numbers = session.query(sa.func.count(
                db_models.Instance.id)).filter(
                db_models.Instance.cluster_id == cluster.id).scalar()
            new_ids = _add_members(session, context, row, specs, flavor_id,
                                   volume_size, nics,
                                   row.datastore_version_id,
                                   first_number=numbers + 1)
            models.set_task(session, cluster.id, Tasks.GROWING_CLUSTER)
            claims.submit(session, cluster.id, 'cluster', 'grow_cluster',
                          args={'new_ids': new_ids},
                          request_id=getattr(context, 'request_id', None))
    instance_actions.nudge(cluster.id, lambda: taskmanager_api.API(
        context).grow_cluster(cluster.id, new_ids))


def shrink(context, cluster, instance_ids):
    cluster.validate_available()
    member_ids = {member.id for member in cluster.members}
    for instance_id in instance_ids:
        if instance_id not in member_ids:
            raise exception.ClusterShrinkInstanceNotMember(
                instance_id=instance_id, cluster_id=cluster.id)
    remaining = member_ids - set(instance_ids)
    if not remaining:
        raise exception.ClusterShrinkMustNotLeaveClusterEmpty()
    with db_api.writer(context) as session:
        models.set_task(session, cluster.id, Tasks.SHRINKING_CLUSTER)
        claims.submit(session, cluster.id, 'cluster', 'shrink_cluster',
                      args={'removed_ids': list(instance_ids)},
                      request_id=getattr(context, 'request_id', None))
    for instance_id in instance_ids:
        instance_actions.delete(context, cluster.member(instance_id))
    instance_actions.nudge(cluster.id, lambda: taskmanager_api.API(
        context).shrink_cluster(cluster.id, list(instance_ids)))


def restart(context, cluster):
    """A rolling restart; with no member in a primary component it is the
    recovery of a full-cluster stop (see the taskmanager flow)."""
    cluster.validate_available()
    _submit(context, cluster, Tasks.RESTARTING_CLUSTER, 'restart_cluster')
    instance_actions.nudge(cluster.id, lambda: taskmanager_api.API(
        context).restart_cluster(cluster.id))


def upgrade(context, cluster, version_name):
    cluster.validate_available()
    current = cluster.datastore_version
    version = datastore_models.resolve(context, current.datastore.name,
                                       version_name)
    if version.manager != current.manager:
        raise exception.BadRequest(
            'Version %s is a %s version; the cluster runs %s.'
            % (version_name, version.manager, current.manager))
    _submit(context, cluster, Tasks.UPGRADING_CLUSTER, 'upgrade_cluster',
            args={'datastore_version_id': version.id})
    instance_actions.nudge(cluster.id, lambda: taskmanager_api.API(
        context).upgrade_cluster(cluster.id, version.id))


def configuration_attach(context, cluster, configuration_id):
    """The group on every member, one after the other (each as
    ``PUT /instances/{id}``: values the engine takes at run time apply at
    once, the others after a cluster ``restart``)."""
    cluster.validate_available()
    if cluster.row.configuration_id:
        raise exception.BadRequest(
            'Cluster %s already has configuration %s attached.'
            % (cluster.id, cluster.row.configuration_id))
    for member in cluster.members:
        # Every member is checked before any changes.
        configuration_instances.check_state(member)
    for member in cluster.members:
        if member.row.configuration_id != configuration_id:
            if member.row.configuration_id:
                configuration_instances.detach(context, member)
            configuration_instances.attach(context, member,
                                           configuration_id)
    _set_configuration(context, cluster, configuration_id)


def configuration_detach(context, cluster):
    cluster.validate_available()
    for member in cluster.members:
        configuration_instances.check_state(member)
    for member in cluster.members:
        configuration_instances.detach(context, member)
    _set_configuration(context, cluster, None)


def _set_configuration(context, cluster, configuration_id):
    with db_api.writer(context) as session:
        session.execute(sa.update(db_models.Cluster).where(
            db_models.Cluster.id == cluster.id).values(
            configuration_id=configuration_id,
            updated=db_models.utcnow()))


def _submit(context, cluster, task, flow, args=None):
    with db_api.writer(context) as session:
        models.set_task(session, cluster.id, task)
        claims.submit(session, cluster.id, 'cluster', flow, args=args,
                      request_id=getattr(context, 'request_id', None))


def reset_status(context, cluster):
    """Admin: no task on the cluster, nor on its members; work due is
    dropped (a flow still running stops at its next step)."""
    with db_api.writer(context) as session:
        models.set_task(session, cluster.id, Tasks.NONE)
    claims.forget(context, cluster.id)
    for member in cluster.members:
        if member.task is not states.InstanceTasks.NONE:
            instance_actions.reset_status(context, member)


def reset_task(context, cluster):
    """Mgmt ``reset-task``: the cluster's task only."""
    with db_api.writer(context) as session:
        models.set_task(session, cluster.id, Tasks.NONE)
    claims.forget(context, cluster.id)


def delete(context, cluster):
    """Upstream accepts a delete with no task or while deleting."""
    cluster.validate_available((Tasks.NONE, Tasks.DELETING))
    with db_api.writer(context) as session:
        models.set_task(session, cluster.id, Tasks.DELETING)
        claims.submit(session, cluster.id, 'cluster', 'delete_cluster',
                      request_id=getattr(context, 'request_id', None))
    for member in cluster.members:
        instance_actions.delete(context, member)
    instance_actions.nudge(cluster.id, lambda: taskmanager_api.API(
        context).delete_cluster(cluster.id))
