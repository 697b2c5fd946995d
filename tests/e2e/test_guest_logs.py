"""Guest logs on real engines, through both CLIs with trove-local's openrc.

A user enables the general log (MariaDB, PostgreSQL), runs a statement
carrying a marker, publishes the log and finds the marker in the
published segments of the local store; the admin-only error log answers
403 to the user and is listed for the administrator.
"""

import glob
import json
import os
import uuid

import pytest

from tests.e2e import sql_logins
from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli
from tests.e2e.sql_logins import status_of

pytestmark = pytest.mark.e2e

USER, PASSWORD, DATABASE = 'loguser', 'log-pw-7', 'logdb'


@pytest.fixture(scope='module', params=['mariadb', 'postgresql'])
def db_instance(request, trove_system):
    yield from sql_logins.shared_instance(trove_system, request.param, 'log')


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _published(trove_system, instance_id, manager):
    """The bytes of every published segment of the general log, in
    order, read from the local store's directory."""
    pattern = os.path.join(trove_system.state_dir, '**', 'database_logs',
                           instance_id, '%s-general' % manager, 'log-*')
    names = sorted(n for n in glob.glob(pattern, recursive=True)
                   if not n.endswith('.meta.json'))
    return names, b''.join(open(n, 'rb').read() for n in names)


def test_enable_publish_and_read_the_general_log(db_instance, trove_system):
    db, iid = db_instance, db_instance.id
    env = trove_system.openrc_env(db.project_id)
    manager = db.datastore

    listed = json.loads(_ok(run_cli(env, 'openstack', 'database', 'log',
                                    'list', iid, '-f', 'json')))
    names = {row['Name']: row for row in listed}
    assert names['general']['Status'] == 'Disabled'
    assert 'error' not in names         # not exposed to users

    enabled = json.loads(_ok(run_cli(
        env, 'openstack', 'database', 'log', 'set', iid, 'general',
        '--enable', '-f', 'json')))
    assert enabled['status'] in ('Enabled', 'Ready')

    db.client.databases.create(iid, [{'name': DATABASE}])
    db.client.users.create(iid, [{'name': USER, 'password': PASSWORD,
                                  'databases': [{'name': DATABASE}]}])
    marker = 'marker-' + uuid.uuid4().hex[:10]
    sql_logins.query(manager, db.address, USER, PASSWORD,
                     "SELECT '%s'" % marker, DATABASE)

    # The legacy CLI publishes; log-show reports it.
    _ok(run_cli(env, 'trove', 'log-publish', iid, 'general'))
    shown = json.loads(_ok(run_cli(env, 'trove', '--json', 'log-show', iid,
                                   'general')))
    assert shown['status'] in ('Published', 'Partial')
    assert int(shown['published']) > 0
    assert shown['prefix'] == '%s/%s-general/' % (iid, manager)
    assert shown['container'] == 'database_logs'
    segments, text = _published(trove_system, iid, manager)
    assert segments and marker.encode() in text

    # Discard removes what was published.
    _ok(run_cli(env, 'trove', 'log-discard', iid, 'general'))
    assert _published(trove_system, iid, manager)[0] == []
    disabled = json.loads(_ok(run_cli(
        env, 'openstack', 'database', 'log', 'set', iid, 'general',
        '--disable', '-f', 'json')))
    assert disabled['status'] == 'Disabled'
    # Statements after the disable are not logged.
    later = 'after-' + uuid.uuid4().hex[:10]
    sql_logins.query(manager, db.address, USER, PASSWORD,
                     "SELECT '%s'" % later, DATABASE)
    if manager == 'mariadb':
        general = [spec for spec in glob.glob(os.path.join(
            trove_system.instance_dir(iid), 'run', 'guest-logs',
            'mysql-general.log'))]
        assert general and later.encode() not in open(general[0],
                                                      'rb').read()


def test_error_log_is_for_administrators(db_instance, trove_system):
    if db_instance.datastore != 'mariadb':
        pytest.skip('PostgreSQL has one log, exposed to users')
    iid = db_instance.id
    assert status_of(db_instance.client.instances.log_action, iid,
                     'error', publish=True) == 403
    admin = trove_system.admin_client(db_instance.project_id)
    names = {log.name: log for log in admin.instances.log_list(iid)}
    assert names['error'].type == 'SYS'
    published = admin.instances.log_action(iid, 'error', publish=True)
    assert int(published.published) > 0


@pytest.fixture(scope='module')
def swift_system():
    from tests.e2e.test_backup_restore import SwiftTroveSystem
    with e2e.temporary_system('trove-e2e-logswift-',
                              SwiftTroveSystem) as system:
        system.up()
        yield system


def test_publish_into_swift(swift_system):
    """With storage_strategy = swift the segments go to the container
    database_logs with upstream's names and line-count metadata."""
    project = 'logs-' + uuid.uuid4().hex[:6]
    trove = swift_system.client(project)
    created = trove.instances.create('swift-logs', flavor_id='1',
                                     volume={'size': 1}, datastore='mariadb')
    try:
        instance = e2e.wait_for_instance(trove, created.id,
                                         system=swift_system)
        trove.instances.log_action(created.id, 'general', enable=True)
        trove.users.create(created.id, [{'name': USER, 'password': PASSWORD}])
        marker = 'swift-' + uuid.uuid4().hex[:10]
        sql_logins.query('mariadb', instance.ip[0], USER, PASSWORD,
                         "SELECT '%s'" % marker)
        published = trove.instances.log_action(created.id, 'general',
                                               publish=True)
        assert published.container == 'database_logs'
        prefix = '%s/mariadb-general/' % created.id
        assert published.prefix == prefix
        connection = swift_system.swift_connection()
        _headers, objects = connection.get_container('database_logs',
                                                     prefix=prefix)
        names = sorted(o['name'] for o in objects)
        assert names and all(n.startswith(prefix + 'log-') for n in names)
        text = b''
        for name in names:
            headers, data = connection.get_object('database_logs', name)
            assert int(headers['x-object-meta-lines']) == data.count(b'\n')
            text += data
        assert marker.encode() in text
        connection.head_object('database_logs',
                               '%s/mariadb-general_metafile' % created.id)
        trove.instances.log_action(created.id, 'general', discard=True)
        _headers, objects = connection.get_container('database_logs',
                                                     prefix=prefix)
        assert objects == []
    finally:
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)
