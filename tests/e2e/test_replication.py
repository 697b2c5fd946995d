"""Replication end to end, on MariaDB (GTID) and PostgreSQL (streaming),
following the peer suite's scenario and upstream's wire contract, with
what upstream lacks: read-only replicas for every account, a fenced old
source, no acknowledged row lost in a promotion under writes, and eject on
both engines.
"""

import contextlib
import os
import signal
import threading
import time

import psycopg
import pymysql
import pytest

from tests.e2e import sql_logins
from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli
from tests.helpers.processes import wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e

PASSWORD = 'app-password-1'
ROOT_PASSWORD = 'root-password-1'
# The engine's answer to a write on a read-only instance.
READ_ONLY = {'mariadb': 1290, 'postgresql': '25006'}


@pytest.fixture(params=['mariadb', 'postgresql'])
def datastore(request):
    return request.param


def create_primary(trove, datastore, name):
    return trove.instances.create(
        name, flavor_id='1', volume={'size': 1}, datastore=datastore,
        databases=[{'name': 'app'}],
        users=[{'name': 'app', 'password': PASSWORD,
                'databases': [{'name': 'app'}]}])


def address_of(trove, instance_id):
    return trove.instances.get(instance_id).ip[0]


@contextlib.contextmanager
def connect(datastore, address, user='app', password=PASSWORD,
            database='app'):
    connection = sql_logins.login(datastore, address, user, password,
                                  database)
    try:
        yield connection
    finally:
        connection.close()


def execute(datastore, address, statement, user='app', password=PASSWORD):
    with connect(datastore, address, user, password) as connection:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            if cursor.description:
                return cursor.fetchall()
    return None


def rows(datastore, address):
    return sorted(r[0] for r in execute(datastore, address,
                                        'SELECT id FROM kept'))


def wait_rows(datastore, address, expected, timeout=60):
    wait_until(lambda: rows(datastore, address) == expected,
               timeout=timeout, interval=0.5,
               message='%s never held rows %s (has %s)'
                       % (address, expected, rows(datastore, address)))


def write_refused(datastore, address, user, password):
    """The engine's error code when ``user`` writes to kept."""
    try:
        execute(datastore, address, 'INSERT INTO kept VALUES (9999)',
                user, password)
    except pymysql.err.MySQLError as error:
        return error.args[0]
    except psycopg.Error as error:
        return error.sqlstate
    return None


def test_replication_scenario(trove, trove_system, datastore, cli_env):
    primary = create_primary(trove, datastore, 'primary-' + datastore)
    e2e.wait_for_instance(trove, primary.id, system=trove_system)
    p_addr = address_of(trove, primary.id)
    execute(datastore, p_addr, 'CREATE TABLE kept (id INT PRIMARY KEY)')
    execute(datastore, p_addr, 'INSERT INTO kept VALUES (1), (2)')
    trove.root.create_instance_root(primary.id, ROOT_PASSWORD)

    # Replica 1 through the OpenStack client.
    made = run_cli(cli_env, 'openstack', 'database', 'instance', 'create',
                   'replica1-' + datastore, '--replica-of', primary.id,
                   '-f', 'value', '-c', 'id')
    assert made.returncode == 0, made.stdout + made.stderr
    replica1 = made.stdout.strip().splitlines()[-1]
    e2e.wait_for_instance(trove, replica1, timeout=240, system=trove_system)
    assert trove.instances.get(replica1).operating_status == 'HEALTHY'
    shown = trove.instances.get(primary.id)
    assert [r['id'] for r in shown.replicas] == [replica1]
    assert trove.instances.get(replica1).replica_of['id'] == primary.id
    r1_addr = address_of(trove, replica1)
    wait_rows(datastore, r1_addr, [1, 2])
    listed = run_cli(cli_env, 'openstack', 'database', 'instance', 'list',
                     '-f', 'value', '-c', 'ID', '-c', 'Role')
    roles = dict(line.split() for line in listed.stdout.splitlines())
    assert (roles[primary.id], roles[replica1]) == ('primary', 'replica')

    # A database made on the primary reaches the replica.
    trove.databases.create(primary.id, [{'name': 'later'}])
    wait_until(lambda: 'later' in {d.name for d in
                                   trove.databases.list(replica1)},
               timeout=60, message='database "later" never replicated')

    # Nobody writes on a replica: not the user, not root.
    assert write_refused(datastore, r1_addr, 'app', PASSWORD) == \
        READ_ONLY[datastore]
    if datastore == 'mariadb':
        assert write_refused(datastore, r1_addr, 'root',
                             ROOT_PASSWORD) == READ_ONLY[datastore]

    # Replica 2 through the legacy client.
    # (The legacy client always sends a flavor: the source's is accepted.)
    legacy = run_cli(cli_env, 'trove', 'create', 'replica2-' + datastore,
                     '1', '--replica_of', primary.id)
    assert legacy.returncode == 0, legacy.stdout + legacy.stderr
    replica2 = [r['id'] for r in trove.instances.get(primary.id).replicas
                if r['id'] != replica1][0]
    e2e.wait_for_instance(trove, replica2, timeout=240, system=trove_system)
    r2_addr = address_of(trove, replica2)
    wait_rows(datastore, r2_addr, [1, 2])

    # Volumes of the primary and both replicas grow.
    for instance_id in (primary.id, replica1, replica2):
        trove.instances.resize_volume(instance_id, 2)
    for instance_id in (primary.id, replica1, replica2):
        wait_until(lambda i=instance_id: (lambda x: x.status == 'ACTIVE'
                   and x.volume['size'] == 2)(trove.instances.get(i)),
                   timeout=120, message='resize of %s' % instance_id)

    # Promote replica 1 while a writer inserts numbered rows.
    writer = Writer(datastore, p_addr)
    writer.start()
    time.sleep(1)
    promoted = run_cli(cli_env, 'openstack', 'database', 'instance',
                       'promote', replica1)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    for instance_id in (primary.id, replica1, replica2):
        e2e.wait_for_instance(trove, instance_id, timeout=180,
                              system=trove_system)
    writer.stop()
    assert writer.committed, 'the writer committed nothing'
    new = trove.instances.get(replica1)
    assert not hasattr(new, 'replica_of')
    assert {r['id'] for r in new.replicas} == {primary.id, replica2}
    assert trove.instances.get(replica2).replica_of['id'] == replica1
    assert trove.instances.get(primary.id).replica_of['id'] == replica1
    # No row the writer was told was committed is missing.
    present = set(rows(datastore, r1_addr))
    assert set(writer.committed) <= present, sorted(
        set(writer.committed) - present)
    # The old primary is fenced: root cannot write there either.
    if datastore == 'mariadb':
        assert write_refused(datastore, p_addr, 'root', ROOT_PASSWORD) == \
            READ_ONLY[datastore]
    execute(datastore, r1_addr, 'INSERT INTO kept VALUES (100)')
    expected = sorted(present | {100})
    wait_rows(datastore, p_addr, expected)
    wait_rows(datastore, r2_addr, expected)

    # Switch back with the legacy client: the first primary (now a fenced,
    # rewound replica) takes writes again and the others follow it.
    back = run_cli(cli_env, 'trove', 'promote-to-replica-source', primary.id)
    assert back.returncode == 0, back.stdout + back.stderr
    for instance_id in (primary.id, replica1, replica2):
        e2e.wait_for_instance(trove, instance_id, timeout=180,
                              system=trove_system)
    assert {r['id'] for r in trove.instances.get(primary.id).replicas} == \
        {replica1, replica2}
    execute(datastore, p_addr, 'INSERT INTO kept VALUES (150)')
    expected = sorted(set(expected) | {150})
    wait_rows(datastore, r1_addr, expected)
    wait_rows(datastore, r2_addr, expected)

    # Detach replica 2 the way the peer suite does: an empty replica_of.
    trove.client.put('/instances/%s' % replica2,
                     body={'instance': {'replica_of': ''}})
    wait_until(lambda: not hasattr(trove.instances.get(replica2),
                                   'replica_of')
               and trove.instances.get(replica2).status == 'ACTIVE',
               timeout=120, message='replica 2 was not detached')
    detached = trove.instances.get(replica2)
    assert not hasattr(detached, 'replicas')
    execute(datastore, r2_addr, 'INSERT INTO kept VALUES (200)')
    assert [r['id'] for r in trove.instances.get(primary.id).replicas] == \
        [replica1]

    # Eject: the primary's engine and agent die; its replica takes over.
    _kill_instance_processes(trove_system, primary.id)
    wait_until(lambda: trove.instances.get(primary.id).operating_status
               != 'HEALTHY', timeout=60, interval=1,
               message='the killed primary still looks healthy')
    ejected = run_cli(cli_env, 'trove', 'eject-replica-source', primary.id)
    assert ejected.returncode == 0, ejected.stdout + ejected.stderr
    e2e.wait_for_instance(trove, replica1, timeout=180,
                          system=trove_system)
    again = trove.instances.get(replica1)
    assert not hasattr(again, 'replica_of')
    assert 'Ejected' in trove.instances.get(primary.id).fault['message']
    execute(datastore, r1_addr, 'INSERT INTO kept VALUES (300)')
    assert 300 in rows(datastore, r1_addr)

    # A primary with replicas cannot be deleted; replicas first.
    for instance_id in (replica2, primary.id, replica1):
        trove.instances.delete(instance_id)
        e2e.wait_for_deleted(trove, instance_id)


def _kill_instance_processes(system, instance_id):
    run = os.path.join(system.instance_dir(instance_id), 'run')
    for name in os.listdir(run):
        if name.endswith('.pid'):
            pid = daemon.read_pid(os.path.join(run, name))
            if daemon.pid_alive(pid):
                os.kill(pid, signal.SIGKILL)


class Writer:
    """Inserts numbered rows into ``kept`` on one address until stopped,
    recording every insert the engine acknowledged."""

    def __init__(self, datastore, address):
        self.datastore = datastore
        self.address = address
        self.committed = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stopping.set()
        self._thread.join(30)

    def _run(self):
        number = 1000
        while not self._stopping.is_set():
            number += 1
            try:
                execute(self.datastore, self.address,
                        'INSERT INTO kept VALUES (%d)' % number)
            except (pymysql.err.MySQLError, psycopg.Error, OSError):
                time.sleep(0.05)
                continue
            self.committed.append(number)
