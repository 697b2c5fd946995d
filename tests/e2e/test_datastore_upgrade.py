"""Datastore version upgrades on real engines (MariaDB, PostgreSQL).

A second version of the installed engine is registered through the
management API (the same binaries, a later patch number); the instance is
upgraded to it with ``openstack database instance upgrade``. Afterwards
the instance and its guest report the new version, the rows written
before and the user's login are there. Refused with 400: a version of
another datastore, the current one, a downgrade. A version whose
binaries are not installed fails in the guest: the fault says so and the
instance stays on its version, running.
"""

import uuid

import pytest
from troveclient.v1 import diagnostics

from tests.e2e import sql_logins
from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli
from tests.e2e.sql_logins import status_of

pytestmark = pytest.mark.e2e

USER, PASSWORD, DATABASE = 'upuser', 'up-pw-7', 'updb'
RELEASE_PARTS = {'mariadb': 2, 'postgresql': 1}
OTHER = {'mariadb': 'postgresql', 'postgresql': 'mariadb'}


@pytest.fixture(scope='module', params=['mariadb', 'postgresql'])
def db_instance(request, trove_system):
    yield from sql_logins.shared_instance(trove_system, request.param, 'up')


@pytest.fixture
def registered(trove_system):
    """Registers versions through the management API; removes them."""
    admin = trove_system.admin_client('admin')
    made = []

    def register(manager, number):
        name = 'e2e-%s-%s' % (number, uuid.uuid4().hex[:4])
        admin.mgmt_ds_versions.create(name, manager, manager, '',
                                      version=number)
        [version] = [v for v in admin.mgmt_ds_versions.list()
                     if v.name == name]
        made.append(version.id)
        return version
    yield register
    for version_id in made:
        try:
            admin.mgmt_ds_versions.delete(version_id)
        except Exception:
            # Still used by the module's instance: hidden from users.
            admin.mgmt_ds_versions.edit(version_id, active='false')


def _rows(db):
    return [tuple(row) for row in sql_logins.query(
        db.datastore, db.address, USER, PASSWORD,
        'SELECT note FROM notes ORDER BY note', DATABASE)]


def _current(trove_system, db):
    admin = trove_system.admin_client('admin')
    name = db.client.instances.get(db.id).datastore['version']
    [version] = [v for v in admin.mgmt_ds_versions.list()
                 if v.datastore_name == db.datastore and v.name == name]
    return version


def test_upgrade_keeps_data_and_refuses_the_wrong_versions(
        db_instance, trove_system, registered):
    db, iid, manager = db_instance, db_instance.id, db_instance.datastore
    db.client.databases.create(iid, [{'name': DATABASE}])
    db.client.users.create(iid, [{'name': USER, 'password': PASSWORD,
                                  'databases': [{'name': DATABASE}]}])
    with db.login(USER, PASSWORD, DATABASE) as connection:
        with connection.cursor() as cursor:
            cursor.execute('CREATE TABLE notes (note VARCHAR(20))')
            cursor.execute("INSERT INTO notes VALUES ('kept')")
    current = _current(trove_system, db)
    parts = current.version.split('.')[:RELEASE_PARTS[manager]]
    newer = registered(manager, '.'.join(parts + ['99']))
    older = registered(manager, '.'.join(parts[:-1] + ['0'] * len(parts)))
    not_installed = registered(manager, '99.1.0')
    other = _current_of(trove_system, OTHER[manager])

    # Refused before anything changes.
    for version in (other, current.name, older.name):
        assert status_of(db.client.instances.upgrade, iid, version) == 400
    assert db.client.instances.get(iid).status == 'ACTIVE'

    env = trove_system.openrc_env(db.project_id)
    result = run_cli(env, 'openstack', 'database', 'instance', 'upgrade',
                     iid, newer.name)
    assert result.returncode == 0, result.stdout + result.stderr
    instance = e2e.wait_for_instance(db.client, iid, system=trove_system)
    assert instance.datastore['version'] == newer.name, (
        getattr(instance, 'fault', None), trove_system.logs_tail())
    assert instance.datastore['version_number'] == newer.version
    admin = trove_system.admin_client('admin')
    diag = diagnostics.DiagnosticsInterrogator(admin).get(iid)
    assert diag.version == newer.version      # what the guest runs now
    assert _rows(db) == [('kept',)]

    # Binaries that are not installed: the guest refuses, the instance
    # keeps its version and runs.
    assert status_of(db.client.instances.upgrade, iid, older.name) == 400
    db.client.instances.upgrade(iid, not_installed.name)
    instance = e2e.wait_for_instance(db.client, iid, system=trove_system)
    assert instance.datastore['version'] == newer.name
    assert 'binaries' in instance.fault['message']
    assert _rows(db) == [('kept',)]


def _current_of(trove_system, datastore):
    admin = trove_system.admin_client('admin')
    return [v for v in admin.mgmt_ds_versions.list()
            if v.datastore_name == datastore][0].name
