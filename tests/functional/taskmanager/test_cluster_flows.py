"""Cluster flows in the taskmanager, with the local provider and a fake
guest agent (no real engine): how a cluster build fails, and a delete.
A real Galera cluster forms in tests/e2e/test_clusters.py."""

import pytest

from tests.functional.taskmanager.conftest import FLAVOR
from tests.helpers.processes import wait_until
from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.instance import actions as instance_actions
from trove.records import service_status
from trove.records import work_claims as claims
from trove.taskmanager import api as taskmanager_api

pytestmark = pytest.mark.functional

Tasks = states.InstanceTasks
ClusterTasks = states.ClusterTasks


def new_cluster(world, members=3):
    """Rows and work as the API writes them before casting
    create_cluster."""
    now = db_models.utcnow()
    with db_api.writer(world.context) as session:
        cluster = db_models.Cluster(
            name='galera', tenant_id='demo',
            datastore_version_id=world.version_id,
            task_id=ClusterTasks.BUILDING_INITIAL.code, task_start_time=now,
            created=now, updated=now)
        session.add(cluster)
        session.flush()
        ids = []
        for number in range(1, members + 1):
            row = db_models.Instance(
                name='galera-member-%d' % number, tenant_id='demo',
                flavor_id=FLAVOR['id'], volume_size=1,
                datastore_version_id=world.version_id,
                task_id=Tasks.BUILDING.code,
                task_description=Tasks.BUILDING.db_text,
                task_start_time=now, server_status='BUILD',
                cluster_id=cluster.id, type='member', created=now,
                updated=now)
            session.add(row)
            session.flush()
            service_status.create(session, row.id)
            claims.submit(session, row.id, 'instance', 'create', args={
                'databases': [], 'has_secrets': False,
                'cluster_config': {'id': cluster.id,
                                   'instance_type': 'member'}})
            ids.append(row.id)
        claims.submit(session, cluster.id, 'cluster', 'create_cluster')
        return cluster.id, ids


def cluster_row(world, cluster_id):
    with db_api.reader(world.context) as session:
        return session.get(db_models.Cluster, cluster_id)


def wait_cluster_task(world, cluster_id, task, timeout=60):
    wait_until(lambda: cluster_row(world, cluster_id).task_id == task.code,
               timeout=timeout, interval=0.2,
               message='cluster %s never reached %s' % (cluster_id,
                                                        task.name))


def delete_cluster(world, cluster_id, member_ids):
    with db_api.writer(world.context) as session:
        session.query(db_models.Cluster).filter_by(id=cluster_id).update(
            {'task_id': ClusterTasks.DELETING.code})
        claims.submit(session, cluster_id, 'cluster', 'delete_cluster')
    api = taskmanager_api.API(world.context)
    for member_id in member_ids:
        instance_actions.set_task(world.context, member_id, Tasks.DELETING,
                                  work='delete')
        api.delete_instance(member_id)
    api.delete_cluster(cluster_id)
    wait_until(lambda: cluster_row(world, cluster_id).deleted, timeout=60,
               interval=0.2, message='cluster %s not deleted' % cluster_id)
    assert all(world.row(member_id).deleted for member_id in member_ids)


@pytest.mark.parametrize('guest, words', [
    # A member's datastore fails to start: the cluster cannot form. The
    # fault is the build's, or the guest's own reason when its report
    # reaches the conductor after the build's failure was recorded.
    ('fail', ('failed to build', 'fake engine refused to start')),
    # The members build, but their guests do not serve the cluster RPCs
    # (guest 1.5): the join fails.
    ('healthy', ('Could not form the cluster',)),
])
def test_a_cluster_that_cannot_form_ends_with_a_fault_on_each_member(
        world, guest, words):
    world.use_guest(guest)
    cluster_id, member_ids = new_cluster(world)
    taskmanager_api.API(world.context).create_cluster(cluster_id)
    wait_cluster_task(world, cluster_id, ClusterTasks.NONE)
    for member_id in member_ids:
        world.wait_task(member_id, Tasks.BUILDING_ERROR_SERVER)
        message = world.fault(member_id).message
        assert any(w in message for w in words), message
    # Every member was built as a member (prepare got cluster_config).
    prepares = [call for call in world.calls(member_ids[0])
                if call['method'] == 'prepare']
    assert prepares[0]['args']['cluster_config'] == {
        'id': cluster_id, 'instance_type': 'member'}
    delete_cluster(world, cluster_id, member_ids)
