"""Replication through the API: upstream's 4xx contract, what a request
records (rows, work, quota, the cast) and the replica_of / replicas views,
with the API in this process and a recording taskmanager."""

import datetime
import uuid

import pytest

from tests.functional.api.test_instances import PROJECT, add_instance
from tests.functional.backup.conftest import recording_taskmanager
from tests.functional.responses import fault, ok
from trove.common import context as trove_context
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import work_claims as claims

pytestmark = pytest.mark.functional

BASE = '/v1.0/' + PROJECT
Tasks = states.InstanceTasks


@pytest.fixture
def taskmanager(api, rabbit_transport_url):
    with recording_taskmanager(rabbit_transport_url) as recorder:
        yield recorder


def on(ids, manager='mysql', source=None, **values):
    """An ACTIVE instance of ``manager`` (a replica of ``source``)."""
    instance_id = add_instance(ids)
    values.setdefault('datastore_version_id', ids[manager + '-version'])
    if source:
        values['slave_of_id'] = source
    update(instance_id, **values)
    return instance_id


def update(instance_id, **values):
    with db_api.writer(trove_context.get_admin_context()) as session:
        session.query(db_models.Instance).filter_by(id=instance_id).update(
            values)


def row(instance_id):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.get(db_models.Instance, instance_id)


def create(api, **instance):
    return api.request('POST', BASE + '/instances', {'instance': instance})


def action(api, instance_id, body):
    return api.request('POST', '%s/instances/%s/action'
                       % (BASE, instance_id), body)


def in_use(api):
    shown = ok(api.admin('GET', '/v1.0/%s/mgmt/quotas/%s'
                         % (PROJECT, PROJECT)))['quotas']
    return {entry['resource']: entry['in_use'] for entry in shown}


def heartbeat_age(instance_id, seconds):
    with db_api.writer(trove_context.get_admin_context()) as session:
        session.query(db_models.ServiceStatusRecord).filter_by(
            instance_id=instance_id).update({'updated_at': (
                db_models.utcnow() - datetime.timedelta(seconds=seconds))})


@pytest.mark.parametrize('extra, words', [
    ({'flavorRef': '2'}, 'flavorRef'),
    ({'volume': {'size': 3}}, 'volume'),
    ({'datastore': {'type': 'mariadb'}}, 'datastore'),
    ({'locality': 'affinity'}, 'locality'),
    ({'nics': [{'net-id': 'a5330d7d-0e8c-48b4-9f6c-0f2c4ab1b854',
                'ip_address': '10.0.0.5'}]}, 'ip_address'),
    ({'databases': [{'name': 'x'}]}, 'users or databases'),
    ({'users': [{'name': 'u', 'password': 'p'}]}, 'users or databases'),
])
def test_what_a_replica_copies_may_not_be_given(api, ids, taskmanager,
                                                extra, words):
    source = on(ids, 'mariadb')
    name, message = fault(create(api, name='r', replica_of=source, **extra),
                          400)
    assert (name, words in message) == ('badRequest', True), message
    assert taskmanager.of('create_instance') == []


def test_the_sources_own_flavor_and_volume_are_accepted(api, ids,
                                                        taskmanager):
    """The legacy CLI always sends a flavor: the source's is no change."""
    source = on(ids, 'mariadb')
    created = ok(create(api, name='r', replica_of=source, flavorRef='1',
                        volume={'size': 1}))['instance']
    assert created['replica_of']['id'] == source


def test_refusals_about_the_source(api, ids, taskmanager):
    assert fault(create(api, name='r', replica_of=str(uuid.uuid4())),
                 404)[0] == 'itemNotFound'
    primary = on(ids, 'mariadb')
    replica = on(ids, 'mariadb', source=primary)
    assert fault(create(api, name='r', replica_of=replica), 403)[0] == \
        'forbidden'
    mysql = on(ids, 'mysql')
    name, message = fault(create(api, name='r', replica_of=mysql), 400)
    assert 'not supported' in message
    name, message = fault(create(api, name='x', flavorRef='1',
                                 volume={'size': 1}, replica_count=2), 400)
    assert 'replica_of' in message
    building = on(ids, 'mariadb', task_id=Tasks.BUILDING.code)
    assert fault(create(api, name='r', replica_of=building), 422)


def test_the_most_replicas_per_primary(api, ids, taskmanager):
    CONF.set_override('max_replicas_per_primary', 2)
    try:
        primary = on(ids, 'mariadb')
        on(ids, 'mariadb', source=primary)
        name, message = fault(create(api, name='r', replica_of=primary,
                                     replica_count=2), 400)
        assert 'max_replicas_per_primary' in message
    finally:
        CONF.clear_override('max_replicas_per_primary')


def test_replicas_are_named_counted_and_cast_together(api, ids,
                                                      taskmanager):
    primary = on(ids, 'mariadb', volume_size=3)
    before = in_use(api)
    shown = ok(create(api, name='rep', replica_of=primary,
                      replica_count=3))['instance']
    [cast] = taskmanager.wait_for('create_replica')
    replica_ids = cast['instance_id']
    assert shown['id'] == replica_ids[-1]
    rows = [row(i) for i in replica_ids]
    assert [r.name for r in rows] == ['rep-1', 'rep-2', 'rep-3']
    source = row(primary)
    for replica in rows:
        assert (replica.slave_of_id, replica.flavor_id, replica.volume_size,
                replica.datastore_version_id) == (
            primary, source.flavor_id, 3, source.datastore_version_id)
        work = claims.current(trove_context.get_admin_context(), replica.id)
        assert (work.flow, work.args) == ('create_replica',
                                          {'replica_of': primary})
    # Quota for every replica (upstream reserves one).
    after = in_use(api)
    assert after['instances'] - before['instances'] == 3
    assert after['volumes'] - before['volumes'] == 9
    # The views: replicas on the primary, replica_of on each replica.
    listed = {i['id']: i for i in ok(api.get(BASE + '/instances'))[
        'instances']}
    assert [r['id'] for r in listed[primary]['replicas']] == replica_ids
    assert listed[replica_ids[0]]['replica_of']['id'] == primary
    detail = ok(api.get(BASE + '/instances/' + primary))['instance']
    assert [r['id'] for r in detail['replicas']] == replica_ids
    assert detail['replicas'][0]['links'][0]['href'].endswith(
        '/instances/' + replica_ids[0])


def test_detach_promote_eject_and_delete_rules(api, ids, taskmanager):
    primary = on(ids, 'mariadb')
    replica = on(ids, 'mariadb', source=primary)
    other = on(ids, 'mariadb', source=primary)
    lonely = on(ids, 'mariadb')
    # Detach only a replica; any value of replica_of (or slave_of).
    for body in ({'replica_of': None}, {'replica_of': ''}):
        assert fault(api.request('PUT', BASE + '/instances/' + lonely,
                                 {'instance': body}), 400)
    ok(api.request('PATCH', BASE + '/instances/' + replica,
                   {'instance': {'slave_of': None}}), 202)
    assert row(replica).task_id == Tasks.DETACHING.code
    taskmanager.wait_for('detach_replica')
    update(replica, task_id=Tasks.NONE.code)

    # Promote only a replica; all members PROMOTE meanwhile.
    assert fault(action(api, primary, {'promote_to_replica_source': {}}),
                 400)
    ok(action(api, other, {'promote_to_replica_source': {}}), 202)
    for member in (primary, replica, other):
        assert row(member).task_id == Tasks.PROMOTING.code
    shown = ok(api.get(BASE + '/instances/' + primary))['instance']
    assert shown['status'] == 'PROMOTE'
    work = claims.current(trove_context.get_admin_context(), other)
    assert work.flow == 'promote' and work.args['members'][0] == primary
    taskmanager.wait_for('promote_to_replica_source')
    for member in (primary, replica, other):
        update(member, task_id=Tasks.NONE.code)
    claims.forget(trove_context.get_admin_context(), other)

    # Eject: a primary with replicas whose heartbeat expired.
    assert fault(action(api, replica, {'eject_replica_source': {}}), 400)
    assert fault(action(api, lonely, {'eject_replica_source': {}}), 400)
    name, message = fault(action(api, primary,
                                 {'eject_replica_source': {}}), 400)
    assert 'has a current heartbeat' in message
    heartbeat_age(primary, CONF.agent_heartbeat_expiry + 5)
    ok(action(api, primary, {'eject_replica_source': {}}), 202)
    assert row(primary).task_id == Tasks.EJECTING.code
    assert row(other).task_id == Tasks.EJECTING.code
    taskmanager.wait_for('eject_replica_source')
    for member in (primary, replica, other):
        update(member, task_id=Tasks.NONE.code)

    # A primary with replicas cannot be deleted.
    name, _message = fault(api.request('DELETE', BASE + '/instances/'
                                       + primary), 403)
    assert name == 'forbidden'
    assert row(primary).deleted is False
