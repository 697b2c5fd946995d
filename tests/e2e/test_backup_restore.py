"""Backups and restores end to end, for MariaDB and PostgreSQL, in a real
one-node Swift (``trove-local up --swift``) and in local storage (the
default ``trove-local up`` of the shared e2e system).

Each scenario writes rows, takes a full backup, writes more, takes an
incremental one, restores each into a new instance and compares the data
over SQL: the full restore has only the first rows, the incremental one
all of them. The incremental restore is asked for with the source's own
create body (its database and user) plus a new database and user. The
checksums the control DB stores equal the objects' Swift ETags (or the
files' MD5), and deleting the full backup deletes the incremental one and
every object.
"""

import hashlib
import os
import sqlite3
import time
import urllib.parse

import psycopg
import pymysql
import pytest
import swiftclient

from tests.e2e import system as e2e
from tests.helpers.processes import wait_until

pytestmark = pytest.mark.e2e

# Small segments so the Swift backups are static large objects of several
# segments (reference §8.3 with a 2 GiB default).
SEGMENT_SIZE = 256 * 1024
USER, PASSWORD, DATABASE = 'app', 'app-pass-1', 'appdb'
NEW_USER, NEW_DATABASE = ('added', 'added-pass-1'), 'addeddb'
ORIGINAL_AND_NEW = {
    'databases': [{'name': DATABASE}, {'name': NEW_DATABASE}],
    'users': [{'name': USER, 'password': PASSWORD,
               'databases': [{'name': DATABASE}]},
              {'name': NEW_USER[0], 'password': NEW_USER[1],
               'databases': [{'name': NEW_DATABASE}]}]}
TIMEOUT = 180


class SwiftTroveSystem(e2e.TroveSystem):
    """trove-local started with --swift: backups go to a real Swift."""

    def _trove_local(self, *args, **kwargs):
        if args and args[0] == 'up':
            args = args + ('--swift',)
        return super()._trove_local(*args, **kwargs)

    def swift_connection(self):
        """A python-swiftclient connection as the backup account."""
        import configparser
        parser = configparser.ConfigParser(strict=False,
                                           interpolation=None)
        parser.read(os.path.join(self.state_dir, 'trove.conf'))
        section = parser['backup_swift']
        return swiftclient.Connection(
            authurl=section['auth_url'], user=section['user'],
            key=section['key'], auth_version='1', retries=0)


@pytest.fixture(scope='module')
def swift_system():
    with e2e.temporary_system(
            'trove-e2e-swift-', SwiftTroveSystem,
            extra_options=['backup_segment_max_size=%d' % SEGMENT_SIZE]) \
            as system:
        system.up()
        yield system


# SQL over the instance's own address ---------------------------------------
def connect(datastore, address, user=(USER, PASSWORD), database=DATABASE):
    if datastore == 'postgresql':
        return psycopg.connect(host=address, port=5432, user=user[0],
                               password=user[1], dbname=database,
                               connect_timeout=10, autocommit=True)
    return pymysql.connect(host=address, port=3306, user=user[0],
                           password=user[1], database=database,
                           connect_timeout=10, autocommit=True)


def execute(datastore, address, *statements, **login):
    connection = connect(datastore, address, **login)
    try:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def rows(datastore, address):
    result = execute(datastore, address, 'SELECT id FROM kept ORDER BY id')
    return [row[0] for row in result]


# Waiting -----------------------------------------------------------------
def create_instance(trove, datastore, name, **kwargs):
    extra = {}
    if 'restorePoint' not in kwargs:
        extra = dict(databases=[{'name': DATABASE}],
                     users=[{'name': USER, 'password': PASSWORD,
                             'databases': [{'name': DATABASE}]}])
    extra.update(kwargs)
    return trove.instances.create(name, flavor_id='1', volume={'size': 1},
                                  datastore=datastore, **extra)


def wait_backup(trove, backup_id, statuses=('COMPLETED',), system=None,
                timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    backup = None
    while time.monotonic() < deadline:
        backup = trove.backups.get(backup_id)
        if backup.status in statuses:
            return backup
        if backup.status in ('FAILED', 'COMPLETED'):
            break
        time.sleep(0.5)
    raise AssertionError('backup %s is %s (%s), not %s\n%s' % (
        backup_id, backup and backup.status,
        backup and backup.description, statuses,
        system.logs_tail() if system else ''))


def wait_gone(trove, backup_id, timeout=60):
    from troveclient import exceptions

    def gone():
        try:
            trove.backups.get(backup_id)
            return False
        except exceptions.NotFound:
            return True
    wait_until(gone, timeout=timeout,
               message='backup %s still shows' % backup_id)


def stored_checksum(system, backup_id):
    """The checksum column of the control DB (not in the API view)."""
    connection = sqlite3.connect(os.path.join(system.state_dir,
                                              'trove.sqlite'))
    try:
        return connection.execute('SELECT checksum FROM backups WHERE id = ?',
                                  (backup_id,)).fetchone()[0]
    finally:
        connection.close()


def swift_object(location):
    """(container, object) of a Swift location."""
    path = urllib.parse.urlparse(location).path
    *_, container, name = path.split('/')
    return urllib.parse.unquote(container), urllib.parse.unquote(name)


def local_path(location):
    assert location.startswith('file://'), location
    return location[len('file://'):]


def check_object(system, backup, storage):
    """The stored checksum is the object's ETag (Swift) or MD5 (file);
    returns whether the object is a multi-segment large object."""
    checksum = stored_checksum(system, backup.id)
    assert checksum and len(checksum) == 32
    if storage == 'local':
        path = local_path(backup.locationRef)
        assert path.startswith(os.path.join(system.state_dir, 'backups'))
        with open(path, 'rb') as stored:
            assert hashlib.md5(stored.read()).hexdigest() == checksum
        return False
    container, name = swift_object(backup.locationRef)
    headers = system.swift_connection().head_object(container, name)
    assert headers['etag'].strip('"') == checksum
    assert headers['x-object-meta-datastore'] == backup.datastore['type']
    return headers.get('x-static-large-object', '').lower() == 'true'


def object_exists(system, location, storage):
    if storage == 'local':
        return os.path.exists(local_path(location))
    container, name = swift_object(location)
    try:
        system.swift_connection().head_object(container, name)
        return True
    except swiftclient.ClientException as error:
        if error.http_status == 404:
            return False
        raise


def delete_instances(trove, instance_ids):
    for instance_id in instance_ids:
        try:
            trove.instances.delete(instance_id)
        except Exception:
            pass
    for instance_id in instance_ids:
        try:
            e2e.wait_for_deleted(trove, instance_id)
        except Exception:
            pass


# The scenario ---------------------------------------------------------------
def run_scenario(trove, system, datastore, storage):
    """The backups use the system's default storage (none is named)."""
    created = []
    try:
        source = create_instance(trove, datastore, 'bk-src-' + datastore)
        created.append(source.id)
        source = e2e.wait_for_instance(trove, source.id, system=system)
        address = source.ip[0]
        execute(datastore, address,
                'CREATE TABLE kept (id INT PRIMARY KEY, note VARCHAR(64))',
                "INSERT INTO kept VALUES (1, 'before'), (2, 'before')")

        full = trove.backups.create('full', source.id)
        assert full.status == 'NEW'
        full = wait_backup(trove, full.id, system=system)
        assert full.parent_id is None
        assert full.storage_driver == storage

        execute(datastore, address,
                "INSERT INTO kept VALUES (3, 'after'), (4, 'after')")
        incremental = trove.backups.create('incremental', source.id,
                                           incremental=True)
        incremental = wait_backup(trove, incremental.id, system=system)
        assert incremental.parent_id == full.id

        large = [check_object(system, backup, storage)
                 for backup in (full, incremental)]
        if storage == 'swift':
            assert any(large), 'expected a multi-segment backup'
        listed = {b.id for b in trove.instances.backups(source.id)}
        assert listed == {full.id, incremental.id}

        # Both restores at once: each gets the rows of its own backup.
        # The incremental one is asked for with the source's own body (its
        # database and user, which the backup holds) plus a new database
        # and user: the restored ones stay as they are, the new ones are
        # created.
        restores = {}
        for backup, body in ((full, {}), (incremental, ORIGINAL_AND_NEW)):
            restored = create_instance(trove, datastore,
                                       'bk-restore-' + backup.name,
                                       restorePoint={'backupRef': backup.id},
                                       **body)
            created.append(restored.id)
            restores[backup.id] = restored.id
        full_copy = e2e.wait_for_instance(trove, restores[full.id],
                                          system=system)
        incremental_copy = e2e.wait_for_instance(
            trove, restores[incremental.id], system=system)
        assert rows(datastore, full_copy.ip[0]) == [1, 2]
        assert rows(datastore, incremental_copy.ip[0]) == [1, 2, 3, 4]
        execute(datastore, incremental_copy.ip[0],
                'CREATE TABLE added (id INT)', user=NEW_USER,
                database=NEW_DATABASE)
        # The restored instances are ordinary ones: they take writes.
        execute(datastore, incremental_copy.ip[0],
                "INSERT INTO kept VALUES (5, 'restored')")
        assert rows(datastore, incremental_copy.ip[0]) == [1, 2, 3, 4, 5]

        # Deleting the full backup deletes the incremental one too, and
        # the taskmanager removes every object.
        trove.backups.delete(full.id)
        wait_gone(trove, full.id)
        wait_gone(trove, incremental.id)
        for backup in (full, incremental):
            wait_until(lambda location=backup.locationRef: not object_exists(
                system, location, storage), timeout=60,
                message='object of %s still exists' % backup.name)
    finally:
        delete_instances(trove, created)


@pytest.mark.parametrize('datastore', ['mariadb', 'postgresql'])
def test_backup_and_restore_in_swift(swift_system, datastore):
    trove = swift_system.client('e2e-swift-' + datastore)
    run_scenario(trove, swift_system, datastore, 'swift')


@pytest.mark.parametrize('datastore', ['mariadb', 'postgresql'])
def test_backup_and_restore_in_local_storage(trove_system, project_id,
                                             datastore):
    # The default trove-local stores backups in a directory: the request
    # names no storage driver and the location is under DIR/backups.
    trove = trove_system.client(project_id)
    run_scenario(trove, trove_system, datastore, 'local')


def instance_ids(trove):
    return {instance.id for instance in trove.instances.list()}


def assert_restore_refused(trove, datastore, backup_id, code):
    """A restore from ``backup_id`` answers ``code`` and builds nothing."""
    from troveclient import exceptions
    before = instance_ids(trove)
    with pytest.raises(exceptions.ClientException) as refused:
        create_instance(trove, datastore, 'bk-refused',
                        restorePoint={'backupRef': backup_id})
    assert refused.value.http_status == code, refused.value
    assert instance_ids(trove) == before


def test_swift_restore_refuses_changed_or_missing_objects(swift_system):
    trove = swift_system.client('e2e-swift-faults')
    swift = swift_system.swift_connection()
    datastore = 'mariadb'
    source = create_instance(trove, datastore, 'bk-faults')
    try:
        source = e2e.wait_for_instance(trove, source.id, system=swift_system)
        execute(datastore, source.ip[0],
                'CREATE TABLE kept (id INT PRIMARY KEY)',
                'INSERT INTO kept VALUES (1)')
        full = wait_backup(trove, trove.backups.create('f', source.id).id,
                           system=swift_system)
        incremental = wait_backup(trove, trove.backups.create(
            'i', source.id, incremental=True).id, system=swift_system)
        container, name = swift_object(full.locationRef)
        assert check_object(swift_system, full, 'swift')
        _headers, manifest = swift.get_object(
            container, name, query_string='multipart-manifest=get')
        import json
        segment = json.loads(manifest)[1]['name'].lstrip('/').split('/', 1)

        # A segment of the full backup changed in place: its parent's
        # integrity fails the incremental's restore too.
        _headers, original = swift.get_object(*segment)
        swift.put_object(segment[0], segment[1],
                         b'\0' * len(original))
        assert_restore_refused(trove, datastore, full.id, 409)
        assert_restore_refused(trove, datastore, incremental.id, 409)

        # The segment back as it was: restorable again as far as the
        # checks go; then the full backup's manifest disappears: 404.
        swift.put_object(segment[0], segment[1], original)
        swift.delete_object(container, name)
        assert_restore_refused(trove, datastore, full.id, 404)
        assert_restore_refused(trove, datastore, incremental.id, 404)
    finally:
        delete_instances(trove, [source.id])
