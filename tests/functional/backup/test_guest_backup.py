"""Real guest agents taking and restoring backups in local storage, with
the real conductor recording what they report: BUILDING then COMPLETED
(location, checksum, size), a restore through prepare (with the original
databases and users in the request, and new ones), and a backup
interrupted by an agent restart reported FAILED by the restarted agent."""

import hashlib
import json
import os
import signal
import uuid

import psycopg
import pymysql
import pytest

from tests.functional.guestagent import utils
from tests.functional.guestagent.conftest import conductor  # noqa: F401
from tests.helpers import processes
from trove.common import engines
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import work_claims

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(engines.find_mariadb() is None or
                       engines.find_postgresql() is None,
                       reason='MariaDB and PostgreSQL are needed'),
]

APP = {'_name': 'app', '_host': '%', '_password': 'app-Secret-42',
       '_databases': [{'_name': 'appdb'}]}
APP_DB = {'_name': 'appdb', '_character_set': None, '_collate': None}
NEW_DB = {'_name': 'newdb', '_character_set': None, '_collate': None}
NEW_USER = {'_name': 'fresh', '_host': '%', '_password': 'fresh-Secret-7',
            '_databases': [{'_name': 'appdb'}, {'_name': 'newdb'}]}


def sql(instance, *statements, user=APP, database='appdb'):
    if instance.manager == 'postgresql':
        connection = psycopg.connect(
            host=instance.address, port=5432, user=user['_name'],
            password=user['_password'], dbname=database, connect_timeout=5,
            autocommit=True)
    else:
        connection = pymysql.connect(
            host=instance.address, port=3306, user=user['_name'],
            password=user['_password'], database=database,
            connect_timeout=5, autocommit=True)
    try:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def new_guest(base_dir, manager, transport_url, backup_dir):
    guest = utils.GuestInstance(base_dir, manager, transport_url)
    with open(guest.etc / 'trove-guestagent.conf', 'a') as conf:
        conf.write('backup_local_dir = %s\n' % backup_dir)
    guest.create_records()
    return guest


def backup_row(guest, backup_id=None, state='NEW', description=None):
    backup_id = backup_id or str(uuid.uuid4())
    with db_api.writer(guest.context) as session:
        session.add(db_models.Backup(
            id=backup_id, name='b', tenant_id='demo', state=state,
            instance_id=guest.id, description=description,
            storage_driver='local'))
    return backup_id


def load_row(guest, backup_id):
    with db_api.reader(guest.context) as session:
        return session.get(db_models.Backup, backup_id)


def wait_state(guest, backup_id, state, timeout=120):
    return processes.wait_until(
        lambda: (lambda row: row if row.state == state else None)(
            load_row(guest, backup_id)), timeout=timeout,
        message='backup %s never became %s (%s); agent log:\n%s' % (
            backup_id, state, load_row(guest, backup_id).state,
            guest.agent_log_tail()))


@pytest.fixture
def guests(world_tmp_dir):
    started = []
    yield started
    for guest in started:
        guest.cleanup()


@pytest.mark.parametrize('manager', ['mariadb', 'postgresql'])
def test_backup_then_restore_through_prepare(world_tmp_dir, conductor,  # noqa: F811
                                             guests, manager):
    backup_dir = str(world_tmp_dir / 'backups')
    source = new_guest(world_tmp_dir, manager, conductor, backup_dir)
    guests.append(source)
    source.prepare(utils.render_config(manager), databases=[APP_DB],
                   users=[APP])
    source.start_agent()
    source.wait_status('healthy')
    sql(source, 'CREATE TABLE kept (id INT PRIMARY KEY)',
        'INSERT INTO kept VALUES (1), (2)')

    backup_id = backup_row(source)
    source.api().create_backup({
        'id': backup_id, 'name': 'b', 'description': None,
        'instance_id': source.id, 'backup_type': 'full', 'parent': None,
        'datastore': manager, 'datastore_version': '1',
        'storage_driver': 'local', 'swift_container': None})
    row = wait_state(source, backup_id, 'COMPLETED')
    path = row.location[len('file://'):]
    assert path.startswith(backup_dir)
    with open(path, 'rb') as stored:
        assert hashlib.md5(stored.read()).hexdigest() == row.checksum
    assert row.backup_type == 'full' and row.size is not None
    # The rows of every user table, counted exactly, for restore drills;
    # the final progress measured against the engine's data size.
    kept = 'appdb.public.kept' if manager == 'postgresql' else 'appdb.kept'
    recorded = json.loads(row.row_counts)
    assert (recorded['method'], recorded['tables'], recorded['changed']) \
        == ('exact', {kept: 2}, [])
    progress = json.loads(row.progress)
    assert progress['percent'] == 100 and progress['total_bytes'] > 0

    copy = new_guest(world_tmp_dir, manager, conductor, backup_dir)
    guests.append(copy)
    api = copy.api()
    api.declare_queue()
    # The copy's build is the work due on it: the restore's progress goes
    # there (the instance view shows it while the build waits).
    work_claims.submit_now(copy.context, copy.id, 'instance', 'create')
    # The original create body plus a database and a user the backup
    # does not hold: the restored ones stay, the new ones are created.
    api.prepare(memory_mb=512, packages=[], databases=[APP_DB, NEW_DB],
                users=[APP, NEW_USER], device_path=None, mount_point=None,
                backup_info={'id': backup_id, 'location': row.location,
                             'checksum': row.checksum,
                             'storage_driver': 'local',
                             'bytes': progress['bytes_written']},
                config_contents=utils.render_config(manager),
                root_password=None, overrides=None, cluster_config=None,
                snapshot=None, modules=None, ds_version='1')
    copy.start_agent()
    copy.wait_status('healthy')
    assert [r[0] for r in sql(copy, 'SELECT id FROM kept ORDER BY id')] \
        == [1, 2]
    restored = processes.wait_until(
        lambda: work_claims.current(copy.context, copy.id).state.get(
            'guest_progress'), timeout=30, message='no restore progress')
    assert (restored['backup_id'], restored['bytes_written'],
            restored['percent']) == (backup_id, progress['bytes_written'],
                                     100)
    # What a restore drill compares: the restore's counts and a query.
    checks = api.get_diagnostics(checks={
        'row_counts': 'exact', 'query': 'SELECT id FROM kept',
        'database': 'appdb'})['checks']
    assert checks['row_counts']['tables'] == recorded['tables']
    assert checks['query'] == {'rows': 2}
    assert [tuple(row) for row in sql(copy, 'SELECT 1', user=NEW_USER)] \
        == [(1,)]
    sql(copy, 'CREATE TABLE fresh (id INT)', user=NEW_USER,
        database='newdb')
    # The copy has its own os_admin password, not the source's.
    assert (copy.run / 'os_admin.password').read_text() != \
        (source.run / 'os_admin.password').read_text()


def test_a_restarted_agent_fails_the_backup_it_was_taking(
        world_tmp_dir, conductor, guests):  # noqa: F811
    guest = new_guest(world_tmp_dir, 'mariadb', conductor,
                      str(world_tmp_dir / 'backups'))
    guests.append(guest)
    guest.prepare(utils.render_config('mariadb'))
    guest.start_agent()
    guest.wait_status('healthy')
    # What an agent killed in the middle of a backup leaves behind.
    backup_id = backup_row(guest, state='BUILDING', description='hourly')
    marker = guest.run / 'backup-work' / backup_id
    os.makedirs(marker)
    (marker / 'backup.json').write_text(
        '{"id": "%s", "instance_id": "%s", "description": "hourly"}'
        % (backup_id, guest.id))
    os.kill(guest.agent.pid, signal.SIGKILL)
    guest.agent.process.wait(timeout=10)
    guest.agent.stop()

    guest.start_agent()
    row = wait_state(guest, backup_id, 'FAILED', timeout=60)
    assert row.description == ('hourly | Backup failed: the guest agent '
                               'stopped while it ran')
    assert not marker.exists()
