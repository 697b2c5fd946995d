"""Clusters through the API: upstream's 400/422/501 rules, what a request
records (cluster and member rows, work, quota, the cast) and the views,
with the API in this process and a recording taskmanager."""

import pytest

from tests.functional.api.test_instances import PROJECT, add_instance
from tests.functional.backup.conftest import recording_taskmanager
from tests.functional.responses import fault, ok
from trove.common import context as trove_context
from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import work_claims as claims

pytestmark = pytest.mark.functional

BASE = '/v1.0/' + PROJECT
Tasks = states.ClusterTasks


@pytest.fixture
def taskmanager(api, rabbit_transport_url):
    with recording_taskmanager(rabbit_transport_url) as recorder:
        yield recorder


def member(flavor='1', size=1, **extra):
    spec = {'flavorRef': flavor, 'volume': {'size': size}}
    spec.update(extra)
    return spec


def create(api, members=None, datastore='mariadb', version='10.11',
           **extra):
    body = {'name': 'galera', 'datastore': {'type': datastore,
                                            'version': version},
            'instances': members if members is not None
            else [member() for _ in range(3)]}
    body.update(extra)
    return api.request('POST', BASE + '/clusters', {'cluster': body})


def action(api, cluster_id, body, admin=False):
    send = api.admin if admin else api.request
    return send('POST', '%s/clusters/%s' % (BASE, cluster_id), body)


def rows(cluster_id):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.query(db_models.Instance).filter_by(
            cluster_id=cluster_id).order_by(db_models.Instance.created).all()


def cluster_row(cluster_id):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.get(db_models.Cluster, cluster_id)


def settle(cluster_id):
    """As the taskmanager leaves a built cluster: no task anywhere,
    members ACTIVE and HEALTHY."""
    context = trove_context.get_admin_context()
    with db_api.writer(context) as session:
        session.query(db_models.Cluster).filter_by(id=cluster_id).update(
            {'task_id': Tasks.NONE.code})
        for row in session.query(db_models.Instance).filter_by(
                cluster_id=cluster_id):
            row.task_id = states.InstanceTasks.NONE.code
            row.server_status = states.ServerStatus.ACTIVE
            status = session.query(db_models.ServiceStatusRecord).filter_by(
                instance_id=row.id).one()
            status.status_id = states.ServiceStatuses.HEALTHY.code
            status.updated_at = db_models.utcnow()
            claims.forget(context, row.id)
    claims.forget(context, cluster_id)


def in_use(api):
    shown = ok(api.admin('GET', '/v1.0/%s/mgmt/quotas/%s'
                         % (PROJECT, PROJECT)))['quotas']
    return {entry['resource']: entry['in_use'] for entry in shown}


def test_create_records_the_cluster_its_members_and_their_work(
        api, ids, taskmanager):
    before = in_use(api)
    shown = ok(create(api))['cluster']
    assert shown['task'] == {'id': 2, 'name': 'BUILDING_INITIAL',
                             'description': 'Building the initial cluster.'}
    assert shown['datastore'] == {'type': 'mariadb', 'version': '10.11'}
    assert len(shown['instances']) == 3
    first = shown['instances'][0]
    assert set(first) >= {'id', 'name', 'type', 'links', 'status', 'flavor',
                          'volume'}
    assert (first['type'], first['volume'], first['flavor']['id']) == (
        'member', {'size': 1}, '1')
    assert first['name'] == 'galera-member-1'
    assert {'created', 'updated', 'links'} <= set(shown)
    members = rows(shown['id'])
    assert [m.type for m in members] == ['member'] * 3
    for m in members:
        work = claims.current(trove_context.get_admin_context(), m.id)
        assert (work.flow, work.args['cluster_config']) == (
            'create', {'id': shown['id'], 'instance_type': 'member'})
    assert taskmanager.wait_for('create_cluster') == [
        {'cluster_id': shown['id']}]
    after = in_use(api)
    assert after['instances'] - before['instances'] == 3
    assert after['volumes'] - before['volumes'] == 3


@pytest.mark.parametrize('members, words', [
    ([member(), member()], 'at least 3'),
    ([member(), member(), member(flavor='2')], 'flavor for each instance'),
    ([member(), member(), member(size=2)], 'volume size for each'),
    ([member(), member(), {'flavorRef': '1'}], 'volume size is required'),
])
def test_upstreams_400s_on_create(api, ids, taskmanager, members, words):
    name, message = fault(create(api, members), 400)
    assert words in message, message
    assert taskmanager.of('create_cluster') == []


def test_locality_the_provider_cannot_honour_is_400(api, ids, taskmanager):
    name, message = fault(create(api, locality='anti-affinity'), 400)
    assert 'anti-affinity' in message
    assert taskmanager.of('create_cluster') == []
    shown = ok(create(api, locality='affinity'))['cluster']
    assert shown['locality'] == 'affinity'


def test_bad_bodies_are_400(api, ids, taskmanager):
    assert fault(create(api, locality='nearby'), 400)[0] == 'badRequest'
    assert fault(api.request('POST', BASE + '/clusters',
                             {'cluster': {'name': 'x'}}), 400)
    assert fault(create(api, members=[{'volume': {'size': 1}}] * 3), 400)


def test_datastores_without_cluster_support_answer_501(api, ids,
                                                       taskmanager):
    name, message = fault(create(api, datastore='mysql', version='8.0'),
                          501)
    assert 'Clusters not supported for mysql-8.0' in message
    assert fault(create(api, datastore='postgresql', version='15'), 501)


def test_unknown_cluster_is_404(api, ids):
    missing = '%s/clusters/%s' % (BASE, '7c6f7e0e-2e6c-4b3c-9d53-0d0b8c1d2f11')
    assert fault(api.request('GET', missing), 404)[0] == 'itemNotFound'
    assert fault(api.request('DELETE', missing), 404)
    assert fault(api.request('GET', BASE + '/clusters/not-a-uuid'), 404)


def test_members_are_hidden_from_the_instance_list(api, ids, taskmanager):
    alone = add_instance(ids)
    cluster = ok(create(api))['cluster']
    member_ids = {m['id'] for m in cluster['instances']}
    listed = {i['id'] for i in ok(api.request(
        'GET', BASE + '/instances'))['instances']}
    assert alone in listed and not listed & member_ids
    listed = {i['id'] for i in ok(api.request(
        'GET', BASE + '/instances?include_clustered=true'))['instances']}
    assert member_ids <= listed
    shown = ok(api.request('GET', '%s/clusters/%s/instances/%s' % (
        BASE, cluster['id'], cluster['instances'][0]['id'])))['instance']
    assert shown['cluster_id'] == cluster['id']
    assert fault(api.request('GET', '%s/clusters/%s/instances/%s' % (
        BASE, cluster['id'], alone)), 404)


def test_list_and_show(api, ids, taskmanager):
    cluster = ok(create(api))['cluster']
    listed = ok(api.request('GET', BASE + '/clusters'))['clusters']
    assert [c['id'] for c in listed] == [cluster['id']]
    shown = ok(api.request('GET', '%s/clusters/%s'
                           % (BASE, cluster['id'])))['cluster']
    assert shown['id'] == cluster['id']
    assert shown['synced_members'] == 0
    settle(cluster['id'])
    shown = ok(api.request('GET', '%s/clusters/%s'
                           % (BASE, cluster['id'])))['cluster']
    assert shown['synced_members'] == 3
    assert {m['operating_status'] for m in shown['instances']} == {
        'HEALTHY'}


def test_actions_while_a_task_runs_are_422(api, ids, taskmanager):
    cluster_id = ok(create(api))['cluster']['id']
    for body in ({'grow': [member()]}, {'restart': {}},
                 {'shrink': [{'id': rows(cluster_id)[0].id}]},
                 {'upgrade': {'datastore_version': '10.11'}}):
        name, message = fault(action(api, cluster_id, body), 422)
        assert "current cluster task is 'BUILDING_INITIAL'" in message
    assert fault(api.request('DELETE', '%s/clusters/%s'
                             % (BASE, cluster_id)), 422)


def test_one_action_at_a_time(api, ids, taskmanager):
    cluster_id = ok(create(api))['cluster']['id']
    settle(cluster_id)
    assert fault(action(api, cluster_id, {'restart': {}, 'grow': []}), 400)
    assert fault(action(api, cluster_id, {'fly': {}}), 400)
    assert fault(action(api, cluster_id, {'add_shard': {}}), 501)


def test_configuration_attach_checks_every_member_first(api, ids,
                                                        taskmanager):
    cluster_id = ok(create(api))['cluster']['id']
    settle(cluster_id)
    missing = '7c6f7e0e-2e6c-4b3c-9d53-0d0b8c1d2f11'
    assert fault(action(api, cluster_id, {'configuration_attach': {
        'configuration_id': missing}}), 404)
    assert fault(action(api, cluster_id, {'configuration_attach': {}}),
                 400)
    # One member not running: nothing is changed anywhere (422).
    member_id = rows(cluster_id)[1].id
    with db_api.writer(trove_context.get_admin_context()) as session:
        session.query(db_models.ServiceStatusRecord).filter_by(
            instance_id=member_id).update(
            {'status_id': states.ServiceStatuses.SHUTDOWN.code})
    name, message = fault(action(api, cluster_id, {
        'configuration_detach': {}}), 422)
    assert member_id in message
    assert cluster_row(cluster_id).configuration_id is None


def test_member_resize_and_delete_are_501(api, ids, taskmanager):
    cluster_id = ok(create(api))['cluster']['id']
    settle(cluster_id)
    one = rows(cluster_id)[0].id
    path = '%s/instances/%s' % (BASE, one)
    assert fault(api.request('DELETE', path), 501)[1] == (
        'Operation not supported for instances that are part of a cluster.')
    assert fault(api.request('POST', path + '/action',
                             {'resize': {'flavorRef': '2'}}), 501)
    assert fault(api.request('POST', path + '/action',
                             {'resize': {'volume': {'size': 3}}}), 501)
    assert fault(api.request('POST', BASE + '/instances', {'instance': {
        'name': 'r', 'replica_of': one}}), 501)


def test_grow_and_shrink(api, ids, taskmanager):
    cluster_id = ok(create(api))['cluster']['id']
    settle(cluster_id)
    assert fault(action(api, cluster_id, {'grow': [member(flavor='2')]}),
                 400)
    shown = ok(action(api, cluster_id, {'grow': [member()]}), 202)['cluster']
    assert shown['task']['name'] == 'GROWING_CLUSTER'
    assert len(shown['instances']) == 4
    assert shown['instances'][-1]['name'] == 'galera-member-4'
    [grown] = taskmanager.wait_for('grow_cluster')
    assert grown['new_instance_ids'] == [shown['instances'][-1]['id']]
    settle(cluster_id)
    stranger = add_instance(ids)
    assert 'not a member' in fault(action(api, cluster_id, {
        'shrink': [{'id': stranger}]}), 400)[1]
    everyone = [{'id': m.id} for m in rows(cluster_id)]
    assert 'at least one instance' in fault(action(
        api, cluster_id, {'shrink': everyone}), 400)[1]
    removed = rows(cluster_id)[-1].id
    shown = ok(action(api, cluster_id, {'shrink': [{'id': removed}]}),
               202)['cluster']
    assert shown['task']['name'] == 'SHRINKING_CLUSTER'
    [shrunk] = taskmanager.wait_for('shrink_cluster')
    assert shrunk['instance_ids'] == [removed]
    member_row = [m for m in rows(cluster_id) if m.id == removed][0]
    assert member_row.task_id == states.InstanceTasks.DELETING.code


def test_restart_upgrade_and_reset_status(api, ids, taskmanager):
    cluster_id = ok(create(api))['cluster']['id']
    assert fault(action(api, cluster_id, {'reset-status': {}}), 403)
    ok(action(api, cluster_id, {'reset-status': {}}, admin=True), 202)
    assert cluster_row(cluster_id).task_id == Tasks.NONE.code
    assert {m.task_id for m in rows(cluster_id)} == {
        states.InstanceTasks.NONE.code}
    settle(cluster_id)
    shown = ok(action(api, cluster_id, {'restart': {}}), 202)['cluster']
    assert shown['task']['name'] == 'RESTARTING_CLUSTER'
    assert taskmanager.wait_for('restart_cluster')
    settle(cluster_id)
    assert fault(action(api, cluster_id, {'upgrade': {
        'datastore_version': '99'}}), 404)
    ok(action(api, cluster_id, {'upgrade': {'datastore_version': '10.11'}}),
       202)
    [upgraded] = taskmanager.wait_for('upgrade_cluster')
    assert upgraded['datastore_version_id'] == ids['mariadb-version']


def test_delete_deletes_every_member(api, ids, taskmanager):
    before = in_use(api)
    cluster_id = ok(create(api))['cluster']['id']
    settle(cluster_id)
    assert api.request('DELETE', '%s/clusters/%s'
                       % (BASE, cluster_id)).status_int == 202
    assert cluster_row(cluster_id).task_id == Tasks.DELETING.code
    assert {m.task_id for m in rows(cluster_id)} == {
        states.InstanceTasks.DELETING.code}
    assert taskmanager.wait_for('delete_cluster') == [
        {'cluster_id': cluster_id}]
    assert in_use(api)['instances'] == before['instances']
    # Deleting again while it deletes is accepted (upstream's rule).
    assert api.request('DELETE', '%s/clusters/%s'
                       % (BASE, cluster_id)).status_int == 202


def test_mgmt_clusters(api, ids, taskmanager):
    cluster_id = ok(create(api))['cluster']['id']
    mgmt = '/v1.0/%s/mgmt/clusters' % PROJECT
    assert fault(api.request('GET', mgmt), 403)
    listed = ok(api.admin('GET', mgmt))['clusters']
    assert [c['id'] for c in listed] == [cluster_id]
    assert ok(api.admin('GET', '%s/%s' % (mgmt, cluster_id)))['cluster'][
        'tenant_id'] == PROJECT
    assert api.admin('POST', '%s/%s/action' % (mgmt, cluster_id),
                     {'reset-task': {}}).status_int == 202
    assert cluster_row(cluster_id).task_id == Tasks.NONE.code
    assert fault(api.admin('POST', '%s/%s/action' % (mgmt, cluster_id),
                           {'explode': {}}), 400)
