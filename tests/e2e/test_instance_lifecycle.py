"""Instances end to end: create, log in over SQL, restart, resize, delete.

Every service runs as its own process (trove-local), talking over a real
RabbitMQ; the instances run real MariaDB and PostgreSQL engines.
"""

import os

import psycopg
import pymysql
import pytest

from tests.e2e import system as e2e
from tests.helpers.processes import wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e


def mysql_connect(address, user, password, database=None):
    return pymysql.connect(host=address, port=3306, user=user,
                           password=password, database=database,
                           connect_timeout=10, autocommit=True)


def pg_connect(address, user, password, database):
    return psycopg.connect(host=address, port=5432, user=user,
                           password=password, dbname=database,
                           connect_timeout=10, autocommit=True)


ENGINES = {
    'mariadb': {'connect': mysql_connect, 'port': 3306,
                'memory_query': 'SELECT @@innodb_buffer_pool_size'},
    'postgresql': {'connect': pg_connect, 'port': 5432,
                   'memory_query': "SELECT setting::bigint * 8192 FROM "
                                   "pg_settings WHERE name = "
                                   "'shared_buffers'"},
}


def _query_one(engine, address, sql):
    with engine['connect'](address, 'appuser', 'app-pass-1', 'appdb') as db:
        with db.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]


def _create(trove, datastore, name, size=1):
    return trove.instances.create(
        name, flavor_id='1', volume={'size': size},
        datastore=datastore,
        databases=[{'name': 'appdb'}],
        users=[{'name': 'appuser', 'password': 'app-pass-1',
                'databases': [{'name': 'appdb'}]}])


def _address(instance):
    return instance.ip[0]


@pytest.mark.parametrize('datastore', ['mariadb', 'postgresql'])
def test_instance_lifecycle(trove, trove_system, datastore):
    engine = ENGINES[datastore]
    created = _create(trove, datastore, 'life-' + datastore)
    assert created.status == 'BUILD'

    instance = e2e.wait_for_instance(trove, created.id, system=trove_system)
    assert instance.operating_status == 'HEALTHY'
    address = _address(instance)
    assert address.startswith('127.')
    assert instance.datastore['type'] == datastore

    # The user created with the instance logs in at the instance's own
    # address and the engine's standard port, and owns its database.
    with engine['connect'](address, 'appuser', 'app-pass-1', 'appdb') as db:
        with db.cursor() as cursor:
            cursor.execute('CREATE TABLE kept (id INT PRIMARY KEY)')
            cursor.execute('INSERT INTO kept VALUES (1), (2), (3)')

    # The volume's used space is measured on the guest: the engine's data
    # files take some of the 1 GB, not all of it.
    shown = trove.instances.get(created.id)
    assert shown.volume['size'] == 1
    assert 0 < shown.volume['used'] < 1
    assert shown.volume['used_percent'] == pytest.approx(
        shown.volume['used'] * 100, abs=0.1)

    # Rename, then make it public: the address is reported as public.
    trove.instances.update(created.id, name='renamed-' + datastore)
    trove.instances.update(created.id, is_public=True)
    shown = trove.instances.get(created.id)
    assert shown.name == 'renamed-' + datastore
    assert shown.access == {'is_public': True}
    assert [a['type'] for a in shown.addresses] == ['public']
    trove.instances.update(created.id, is_public=False)
    assert [a['type'] for a in trove.instances.get(created.id).addresses] \
        == ['private']

    # Restart keeps the data.
    trove.instances.restart(created.id)
    e2e.wait_for_instance(trove, created.id, system=trove_system)
    with engine['connect'](address, 'appuser', 'app-pass-1', 'appdb') as db:
        with db.cursor() as cursor:
            cursor.execute('SELECT COUNT(*) FROM kept')
            assert cursor.fetchone()[0] == 3

    # Resize volume shows the new size.
    trove.instances.resize_volume(created.id, 2)
    resized = wait_until(
        lambda: (lambda i: i if i.status == 'ACTIVE'
                 and i.volume['size'] == 2 else None)(
            trove.instances.get(created.id)),
        timeout=120, message='volume resize did not finish')
    assert resized.volume['size'] == 2

    # Resize flavor: the config is rendered again for twice the RAM and
    # the engine restarted, so its memory setting doubles; data is kept.
    memory_before = _query_one(engine, address, engine['memory_query'])
    trove.instances.resize_instance(created.id, '2')
    wait_until(
        lambda: (lambda i: i.status == 'ACTIVE' and i.flavor['id'] == '2'
                 and i.operating_status == 'HEALTHY')(
            trove.instances.get(created.id)),
        timeout=120, message='flavor resize did not finish')
    assert _query_one(engine, address, engine['memory_query']) == \
        2 * memory_before
    assert _query_one(engine, address, 'SELECT COUNT(*) FROM kept') == 3

    # Delete: 404 afterwards, and no process, directory or address left.
    instance_dir = trove_system.instance_dir(created.id)
    pids = _instance_pids(instance_dir)
    assert pids, 'the instance should have running processes'
    trove.instances.delete(created.id)
    e2e.wait_for_deleted(trove, created.id)
    wait_until(lambda: not any(daemon.pid_alive(p) for p in pids),
               timeout=30, message='instance processes still alive')
    assert not os.path.exists(instance_dir)
    with pytest.raises(Exception):
        engine['connect'](address, 'appuser', 'app-pass-1', 'appdb')


def _instance_pids(instance_dir):
    run_dir = os.path.join(instance_dir, 'run')
    pids = []
    for name in os.listdir(run_dir):
        if name.endswith('.pid'):
            pid = daemon.read_pid(os.path.join(run_dir, name))
            if daemon.pid_alive(pid):
                pids.append(pid)
    return pids


def test_list_and_show_by_client(trove, trove_system):
    created = _create(trove, 'mariadb', 'listed')
    try:
        listed = [i.id for i in trove.instances.list()]
        assert created.id in listed
        e2e.wait_for_instance(trove, created.id, system=trove_system)
        detail = trove.instances.get(created.id)
        assert detail.flavor['id'] == '1'
        assert detail.datastore['version']
        assert detail.service_status_updated
    finally:
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)
