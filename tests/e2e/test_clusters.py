"""MariaDB Galera clusters end to end on the local provider: upstream's
cluster API driven by the real clients (python-troveclient, ``openstack
database cluster ...`` and the legacy ``trove cluster-*``), checked with
real SQL logins on every member.

One cluster is built for the module and taken through its life in
order: formed (3 members, all Synced, a row written on one read on the
others), one member killed (the others write), two killed (the survivor
refuses writes, error 1047, and the views say so), every member killed
and the cluster recovered by the taskmanager on its own without losing a
row, a rolling restart under a writer that sees no failed write, a
configuration group and a rolling upgrade, grown to 4 and shrunk to 3,
and deleted leaving no process, directory or address.
"""

import contextlib
import json
import os
import signal
import socket
import threading
import time

import pymysql
import pytest

from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli
from tests.helpers.processes import wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e

ROOT_PASSWORD = 'cluster-root-password-1'
# The engine's answer on a member outside the primary component.
NOT_PRIMARY = 1047
BUILD_TIMEOUT = 900


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@contextlib.contextmanager
def connect(address, timeout=5):
    connection = pymysql.connect(host=address, port=3306, user='root',
                                 password=ROOT_PASSWORD, autocommit=True,
                                 connect_timeout=timeout,
                                 read_timeout=30, write_timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def query(address, statement, *args):
    with connect(address) as connection:
        with connection.cursor() as cursor:
            cursor.execute('SET SESSION wsrep_sync_wait = 1')
            cursor.execute(statement, args or None)
            return cursor.fetchall() if cursor.description else None


def wsrep(address, name):
    with connect(address) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SHOW STATUS LIKE %s", (name,))
            return cursor.fetchone()[1]


def kept(address):
    return sorted(r[0] for r in query(address, 'SELECT id FROM app.kept'))


def server_groups(system):
    directory = os.path.join(system.state_dir, 'instances', '.server-groups')
    if not os.path.isdir(directory):
        return []
    found = []
    for name in sorted(os.listdir(directory)):
        if name.endswith('.json'):
            with open(os.path.join(directory, name)) as group:
                found.append(json.load(group))
    return found


class Cluster:
    """The module's cluster and what the tests need to reach it."""

    def __init__(self, system, client, cli_env, cluster_id):
        self.system = system
        self.client = client
        self.cli_env = cli_env
        self.id = cluster_id
        self.killed = set()

    def show(self):
        return self.client.clusters.get(self.id)

    def members(self):
        return sorted(self.show().instances, key=lambda m: m['name'])

    def addresses(self):
        return [m['ip'][0] for m in self.members()]

    def wait_idle(self, timeout=BUILD_TIMEOUT):
        def idle():
            cluster = self.show()
            return cluster.task['name'] == 'NONE' and cluster
        return wait_until(idle, timeout=timeout, interval=2,
                          message='cluster %s still busy:\n%s'
                          % (self.id, self.system.logs_tail(60)))

    def action(self, body):
        response, _ = self.client.clusters.api.client.post(
            '/clusters/%s' % self.id, body=body)
        assert response.status_code == 202

    def kill_engine(self, member_id):
        """SIGKILL the member's mariadbd (its guest agent lives on)."""
        pid_file = os.path.join(self.system.instance_dir(member_id), 'run',
                                'mysqld.pid')
        pid = daemon.read_pid(pid_file)
        assert daemon.pid_alive(pid)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not daemon.pid_alive(pid), timeout=10)
        self.killed.add(member_id)

    def wait_synced(self, count):
        def synced():
            shown = self.show()
            return shown.synced_members == count and shown
        return wait_until(synced, timeout=120, interval=1,
                          message='cluster never showed %d synced: %s'
                          % (count, self.show()._info))


@pytest.fixture(scope='module')
def cluster(trove_system):
    project_id = 'e2e-cl-%d' % os.getpid()
    client = trove_system.client(project_id)
    cli_env = trove_system.openrc_env(project_id)
    created = json.loads(_ok(run_cli(
        cli_env, 'openstack', 'database', 'cluster', 'create', 'galera',
        'mariadb', '10.11', '--instance', 'flavor=1,volume=1',
        '--instance', 'flavor=1,volume=1', '--instance',
        'flavor=1,volume=1', '--locality', 'affinity', '-f', 'json')))
    assert created['task_name'] == 'BUILDING_INITIAL'
    assert created['locality'] == 'affinity'
    assert created['instance_count'] == 3
    found = Cluster(trove_system, client, cli_env, created['id'])
    started = time.monotonic()
    try:
        found.wait_idle()
        print('cluster of 3 formed in %.0f s' % (time.monotonic() - started))
        yield found
    finally:
        try:
            found.client.clusters.get(found.id)
        except Exception:   # already deleted by the last test
            return
        run_cli(cli_env, 'trove', 'cluster-delete', found.id)


def test_a_cluster_of_three_is_formed(cluster):
    shown = cluster.show()
    members = cluster.members()
    assert len(members) == 3, shown._info
    # One server group for the cluster's locality holds every member.
    groups = server_groups(cluster.system)
    assert len(groups) == 1 and groups[0]['policy'] == 'affinity'
    assert len(groups[0]['members']) == 3
    assert {m['status'] for m in members} == {'ACTIVE'}, members
    assert shown.synced_members == 3
    user = cluster.client.root.create_cluster_root(cluster.id, ROOT_PASSWORD)
    assert user[1] == ROOT_PASSWORD
    first, second, third = cluster.addresses()
    for address in (first, second, third):
        assert wsrep(address, 'wsrep_cluster_size') == '3'
        assert wsrep(address, 'wsrep_local_state_comment') == 'Synced'
    query(first, 'CREATE DATABASE app')
    query(first, 'CREATE TABLE app.kept (id INT PRIMARY KEY, at VARCHAR(20))')
    query(first, "INSERT INTO app.kept VALUES (1, 'first')")
    assert kept(second) == [1] and kept(third) == [1]


def test_members_are_hidden_and_the_clis_show_them(cluster):
    member_ids = {m['id'] for m in cluster.members()}
    listed = {i.id for i in cluster.client.instances.list()}
    assert not listed & member_ids
    listed = {i.id for i in cluster.client.instances.list(
        include_clustered=True)}
    assert member_ids <= listed
    env = cluster.cli_env
    osc_list = json.loads(_ok(run_cli(env, 'openstack', 'database',
                                      'cluster', 'list', '-f', 'json')))
    assert [c['ID'] for c in osc_list] == [cluster.id]
    osc_show = json.loads(_ok(run_cli(env, 'openstack', 'database',
                                      'cluster', 'show', cluster.id,
                                      '-f', 'json')))
    assert (osc_show['task_name'], osc_show['instance_count']) == ('NONE',
                                                                   3)
    osc_members = json.loads(_ok(run_cli(
        env, 'openstack', 'database', 'cluster', 'list', 'instances',
        cluster.id, '-f', 'json')))
    assert {m['ID'] for m in osc_members} == member_ids
    legacy = json.loads(_ok(run_cli(env, 'trove', '--json',
                                    'cluster-list')))
    assert [c['id'] for c in legacy] == [cluster.id]
    legacy_show = json.loads(_ok(run_cli(env, 'trove', '--json',
                                         'cluster-show', cluster.id)))
    assert legacy_show['id'] == cluster.id
    legacy_members = _ok(run_cli(env, 'trove', 'cluster-instances',
                                 cluster.id))
    assert all(member_id in legacy_members for member_id in member_ids)
    # No module applied to any member: the legacy listing is empty.
    assert json.loads(_ok(run_cli(env, 'trove', '--json', 'cluster-modules',
                                  cluster.id)) or '[]') == []
    # One member cannot be deleted or resized on its own (501).
    one = sorted(member_ids)[0]
    response, body = cluster.client.instances.api.client.delete(
        '/instances/%s' % one, raise_exc=False)
    assert response.status_code == 501


def test_one_member_killed_the_others_write(cluster):
    members = cluster.members()
    cluster.kill_engine(members[2]['id'])
    first, second, _third = cluster.addresses()
    wait_until(lambda: wsrep(first, 'wsrep_cluster_size') == '2',
               timeout=60, interval=1)
    query(first, "INSERT INTO app.kept VALUES (2, 'one down')")
    query(second, "INSERT INTO app.kept VALUES (3, 'one down')")
    assert kept(second) == [1, 2, 3]
    shown = cluster.wait_synced(2)
    down = [m for m in shown.instances if m['id'] == members[2]['id']][0]
    assert down['operating_status'] == 'SHUTDOWN', down


def test_two_killed_the_survivor_refuses_writes(cluster):
    members = cluster.members()
    cluster.kill_engine(members[1]['id'])
    first = cluster.addresses()[0]

    wait_until(lambda: wsrep(first, 'wsrep_cluster_status') != 'Primary',
               timeout=60, interval=1,
               message='the survivor kept a primary component')
    with pytest.raises(pymysql.MySQLError) as refused:
        query(first, "INSERT INTO app.kept VALUES (4, 'alone')")
    assert refused.value.args[0] == NOT_PRIMARY
    shown = cluster.wait_synced(0)
    survivor = [m for m in shown.instances if m['id'] == members[0]['id']][0]
    wait_until(lambda: [m for m in cluster.show().instances
                        if m['id'] == members[0]['id']][0][
                            'operating_status'] == 'NON_PRIMARY',
               timeout=60, interval=1,
               message='survivor shows %s' % survivor)


def test_a_restart_recovers_a_survivor_without_quorum(cluster):
    """The survivor stops cleanly; the member with the most recent data
    (by grastate.dat, or --wsrep-recover for the killed ones)
    bootstraps and the others rejoin."""
    cluster.action({'restart': {}})
    cluster.wait_idle(timeout=600)
    cluster.wait_synced(3)
    for address in cluster.addresses():
        assert wsrep(address, 'wsrep_cluster_size') == '3'
        assert kept(address) == [1, 2, 3]
    cluster.killed.clear()


def test_a_full_stop_is_recovered_on_its_own_without_losing_rows(cluster):
    """Every engine killed: the taskmanager's periodic check recovers the
    cluster (no request); the member with the most recent data
    bootstraps."""
    for member in cluster.members():
        cluster.kill_engine(member['id'])
    cluster.wait_synced(0)
    started = time.monotonic()
    wait_until(lambda: cluster.show().synced_members == 3, timeout=300,
               interval=2, message='the cluster was not recovered:\n%s'
               % cluster.system.logs_tail(60))
    print('full stop recovered %.0f s after every member showed down'
          % (time.monotonic() - started))
    cluster.wait_idle(timeout=300)
    for address in cluster.addresses():
        assert wsrep(address, 'wsrep_cluster_size') == '3'
        assert kept(address) == [1, 2, 3]
    query(cluster.addresses()[2], "INSERT INTO app.kept VALUES (5, 'back')")
    assert kept(cluster.addresses()[0]) == [1, 2, 3, 5]


class Writer:
    """Inserts numbered rows, one short connection each, on the members
    in turn. As a Galera-aware client (or proxy) does, it moves to the
    next member when one refuses the connection or answers 1047 (the
    member is not ready: the statement was not executed). Any other
    error, or a connection lost mid-statement, is a failed write."""

    def __init__(self, addresses):
        self.addresses = addresses
        self.acknowledged = []
        self.rejected = []
        self.failed = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)

    def _write(self, address, number):
        """True once the row is written or failed; False: try another
        member."""
        try:
            connection = pymysql.connect(
                host=address, port=3306, user='root',
                password=ROOT_PASSWORD, autocommit=True, connect_timeout=2)
        except pymysql.MySQLError:
            return False
        try:
            with connection.cursor() as cursor:
                cursor.execute('INSERT INTO app.kept VALUES (%s, %s)',
                               (number, address[-8:]))
            self.acknowledged.append(number)
        except pymysql.MySQLError as error:
            if error.args and error.args[0] == NOT_PRIMARY:
                self.rejected.append((number, address))
                return False
            self.failed.append((number, address, error.args))
        finally:
            connection.close()
        return True

    def _run(self):
        number, turn = 1000, 0
        while not self._stop.is_set():
            number += 1
            for attempt in range(len(self.addresses)):
                if self._write(self.addresses[(turn + attempt)
                                              % len(self.addresses)],
                               number):
                    break
            turn += 1
            time.sleep(0.05)


def test_a_rolling_restart_keeps_the_cluster_writable(cluster):
    addresses = cluster.addresses()
    before = len(kept(addresses[0]))
    with Writer(addresses) as writer:
        started = time.monotonic()
        cluster.action({'restart': {}})
        assert cluster.show().task['name'] == 'RESTARTING_CLUSTER'
        cluster.wait_idle(timeout=600)
        took = time.monotonic() - started
        time.sleep(1)
    assert writer.failed == []
    assert len(writer.acknowledged) > 20
    for address in addresses:
        rows = kept(address)
        assert set(writer.acknowledged) <= set(rows)
        # Exactly the acknowledged rows: a 1047 executed nothing.
        assert len(rows) == before + len(writer.acknowledged)
    print('rolling restart of 3 in %.0f s: %d rows written, %d statements '
          'refused with 1047 and sent to another member'
          % (took, len(writer.acknowledged), len(writer.rejected)))
    assert cluster.wait_synced(3)


def global_variable(address, name):
    with connect(address) as connection:
        with connection.cursor() as cursor:
            cursor.execute('SELECT @@GLOBAL.%s' % name)
            return int(cursor.fetchone()[0])


def test_a_configuration_group_and_a_rolling_upgrade(cluster):
    group = cluster.client.configurations.create(
        'cluster-group', json.dumps({'wait_timeout': 321}),
        datastore='mariadb', datastore_version='10.11')
    cluster.action({'configuration_attach': {'configuration_id': group.id}})
    assert cluster.show().configuration == group.id
    for address in cluster.addresses():
        assert global_variable(address, 'wait_timeout') == 321
    _ok(run_cli(cluster.cli_env, 'openstack', 'database', 'cluster',
                'upgrade', cluster.id, '10.11'))
    assert cluster.show().task['name'] == 'UPGRADING_CLUSTER'
    cluster.wait_idle(timeout=600)
    cluster.wait_synced(3)
    for address in cluster.addresses():
        # The group outlives the restart of every member.
        assert global_variable(address, 'wait_timeout') == 321
        assert wsrep(address, 'wsrep_cluster_size') == '3'
    cluster.action({'configuration_detach': {}})
    assert not getattr(cluster.show(), 'configuration', None)
    for address in cluster.addresses():
        assert global_variable(address, 'wait_timeout') != 321


def test_grow_to_four_and_shrink_back_to_three(cluster):
    env = cluster.cli_env
    started = time.monotonic()
    _ok(run_cli(env, 'openstack', 'database', 'cluster', 'grow',
                '--instance', 'flavor=1,volume=1', cluster.id))
    cluster.wait_idle()
    print('grown to 4 in %.0f s' % (time.monotonic() - started))
    members = cluster.members()
    assert len(members) == 4
    newest = [m for m in members if m['name'] == 'galera-member-4'][0]
    address = newest['ip'][0]
    # The new member received the data by state transfer.
    assert wsrep(address, 'wsrep_cluster_size') == '4'
    assert 5 in kept(address)
    cluster.wait_synced(4)

    _ok(run_cli(env, 'trove', 'cluster-shrink', cluster.id, newest['id']))
    cluster.wait_idle()
    remaining = cluster.members()
    assert newest['id'] not in {m['id'] for m in remaining}
    for member in remaining:
        address = member['ip'][0]
        assert wsrep(address, 'wsrep_cluster_size') == '3'
        config = open(os.path.join(cluster.system.instance_dir(member['id']),
                                   'run', 'etc', 'conf.d',
                                   'galera.cnf')).read()
        assert newest['ip'][0] not in config
        assert all(m['ip'][0] in config for m in remaining)


def _listening(address, port):
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((address, port)) == 0


def _admin_env(cluster):
    return dict(cluster.cli_env, OPENRC=os.path.join(cluster.system.state_dir,
                                                     'openrc-admin'))


def test_reset_status_is_for_administrators(cluster):
    """The legacy admin commands: a member's cluster-reset-status and
    cluster-force-delete (reset-status, then delete) are refused before
    anything changes; the administrator's reset leaves an idle cluster
    idle."""
    for command in ('cluster-reset-status', 'cluster-force-delete'):
        refused = run_cli(cluster.cli_env, 'trove', command, cluster.id)
        assert refused.returncode != 0, refused.stdout
        assert 'HTTP 403' in refused.stdout + refused.stderr
    assert cluster.show().task['name'] == 'NONE'
    _ok(run_cli(_admin_env(cluster), 'trove', 'cluster-reset-status',
                cluster.id))
    shown = cluster.show()
    assert shown.task['name'] == 'NONE'
    assert len(shown.instances) == 3


def test_delete_leaves_nothing_behind(cluster):
    members = cluster.members()
    server_dirs = [cluster.system.instance_dir(m['id']) for m in members]
    addresses = cluster.addresses()
    # The administrator's force delete: reset-status, then the delete.
    _ok(run_cli(_admin_env(cluster), 'trove', 'cluster-force-delete',
                cluster.id))
    from troveclient import exceptions

    def gone():
        try:
            cluster.client.clusters.get(cluster.id)
        except exceptions.NotFound:
            return True
        return False
    wait_until(gone, timeout=300, interval=2,
               message='cluster %s was never deleted' % cluster.id)
    for member in members:
        e2e.wait_for_deleted(cluster.client, member['id'])
    for server_dir in server_dirs:
        assert not os.path.exists(server_dir)
    assert server_groups(cluster.system) == []
    for address in addresses:
        for port in (3306, 4567, 4568, 4444):
            assert not _listening(address, port), (address, port)
