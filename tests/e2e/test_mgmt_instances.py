"""The management instance API on real engines (MariaDB, PostgreSQL).

An administrator lists and shows any project's instance (server, volume,
guest), reads diagnostics and hardware info, pings the guest, stops the
datastore (the engine no longer accepts logins), reboots and rebuilds
the instance through ``openstack database instance reboot/rebuild`` with
trove-local's admin openrc (the data written before is still there), and
resets a task. After the delete the instance is listed as deleted.
"""

import os
import time
import uuid

import pytest
from troveclient.v1 import diagnostics

from tests.e2e import sql_logins
from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli
from tests.e2e.sql_logins import status_of

pytestmark = pytest.mark.e2e

USER, PASSWORD, DATABASE = 'opsuser', 'ops-pw-7', 'opsdb'
IMAGE = str(uuid.UUID(int=7))


@pytest.fixture(scope='module', params=['mariadb', 'postgresql'])
def db_instance(request, trove_system):
    yield from sql_logins.shared_instance(trove_system, request.param, 'ops')


def _admin_env(trove_system):
    """What a user gets from the openrc-admin trove-local up wrote."""
    openrc = os.path.join(trove_system.state_dir, 'openrc-admin')
    assert os.path.exists(openrc)
    return {'HOME': os.environ.get('HOME', '/root'),
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'OPENRC': openrc, 'PYTHONWARNINGS': 'ignore'}


def _wait(condition, timeout=120, message='condition'):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError('timed out waiting for %s' % message)


def _healthy(client, instance_id, system):
    e2e.wait_for_instance(client, instance_id, system=system)
    return _wait(lambda: client.instances.get(instance_id).operating_status
                 == 'HEALTHY', message='HEALTHY')


def _rows(db):
    return [tuple(row) for row in sql_logins.query(
        db.datastore, db.address, USER, PASSWORD,
        'SELECT note FROM ops ORDER BY note', DATABASE)]


def _write_rows(db):
    db.client.databases.create(db.id, [{'name': DATABASE}])
    db.client.users.create(db.id, [{'name': USER, 'password': PASSWORD,
                                    'databases': [{'name': DATABASE}]}])
    with db.login(USER, PASSWORD, DATABASE) as connection:
        with connection.cursor() as cursor:
            cursor.execute('CREATE TABLE ops (note VARCHAR(20))')
            cursor.execute("INSERT INTO ops VALUES ('before-ops')")


def test_operator_reads_and_acts_on_an_instance(db_instance, trove_system):
    db, iid = db_instance, db_instance.id
    admin = trove_system.admin_client('admin')
    _write_rows(db)

    # Any project's instance, with what the provider and guest say.
    listed = {i.id: i for i in admin.mgmt_instances.list()}
    assert listed[iid].tenant_id == db.project_id
    assert listed[iid].server['host']
    shown = admin.mgmt_instances.show(iid)
    assert shown.server['status'] == 'ACTIVE'
    assert shown.guest_status == {'state_description': 'healthy'}
    assert shown.volume['size'] == 1 and shown.volume['status'] == 'in-use'
    assert 0 <= shown.volume['used'] <= shown.volume['total'] <= 1
    assert shown.deleted is False
    # A member may not.
    assert status_of(db.client.mgmt_instances.show, iid) == 403

    diag = diagnostics.DiagnosticsInterrogator(admin).get(iid)
    assert diag.version and diag.threads > 0 and diag.vmRss > 0
    # The client keeps the body's wrapper here (no response key).
    hw = diagnostics.HwInfoInterrogator(admin).get(iid).hwinfo
    assert hw['num_cpus'] >= 1 and hw['mem_total'] > 0
    response, _ = admin.client.get('/mgmt/instances/%s/rpc_ping' % iid)
    assert response.status_code == 204

    # stop: the engine stops and stays stopped.
    admin.mgmt_instances.stop(iid)
    assert not db.can_login(USER, PASSWORD, DATABASE)
    _wait(lambda: admin.mgmt_instances.show(iid).service_status
          == 'SHUTDOWN', message='SHUTDOWN')
    time.sleep(trove_system.report_interval * 2)
    assert not db.can_login(USER, PASSWORD, DATABASE)

    # reboot with the admin openrc and OpenStackClient: up again.
    env = _admin_env(trove_system)
    result = run_cli(env, 'openstack', 'database', 'instance', 'reboot', iid)
    assert result.returncode == 0, result.stdout + result.stderr
    _healthy(db.client, iid, trove_system)
    assert _rows(db) == [('before-ops',)]

    # rebuild: a new server process set, the same data.
    pid_before = _engine_pid(trove_system, iid)
    result = run_cli(env, 'openstack', 'database', 'instance', 'rebuild',
                     iid, IMAGE)
    assert result.returncode == 0, result.stdout + result.stderr
    _healthy(db.client, iid, trove_system)
    assert _rows(db) == [('before-ops',)]
    assert _engine_pid(trove_system, iid) != pid_before
    assert admin.mgmt_instances.show(iid).task_description == \
        'No tasks for the instance.'

    # migrate: one host only on the local provider.
    assert status_of(admin.mgmt_instances.migrate, iid) == 400
    # reset-task-status leaves a settled instance settled.
    admin.mgmt_instances.reset_task_status(iid)
    _healthy(db.client, iid, trove_system)


def _engine_pid(trove_system, instance_id):
    """The pid of the instance's engine, from its pid file in the server
    directory."""
    from trove.compute.local import processes
    pids = [pid for pid in processes.instance_pids(
        trove_system.instance_dir(instance_id))]
    assert pids, 'no processes for %s' % instance_id
    return sorted(pids)


def test_deleted_instances_are_listed_on_request(trove_system, project_id):
    trove = trove_system.client(project_id)
    created = trove.instances.create('ops-gone', flavor_id='1',
                                     volume={'size': 1}, datastore='mariadb')
    e2e.wait_for_instance(trove, created.id, system=trove_system)
    trove.instances.delete(created.id)
    e2e.wait_for_deleted(trove, created.id)
    admin = trove_system.admin_client('admin')
    deleted = {i.id: i for i in admin.mgmt_instances.list(deleted=True)}
    assert deleted[created.id].deleted is True
    assert deleted[created.id].deleted_at
    assert created.id not in {i.id for i in admin.mgmt_instances.list()}
    shown = admin.mgmt_instances.show(created.id)
    assert shown.deleted is True and shown.server is None
