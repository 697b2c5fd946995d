"""``POST /instances`` with ``restorePoint``: upstream's checks (reference
§8.5) all happen before any instance row exists, and a good restore
point reaches the taskmanager as ``backup_id``. Also ``restore_from``
(registering an existing object as a RESTORED backup)."""

import os

import pytest

from tests.functional.backup.conftest import BASE, fault, ok
from trove.common import context as trove_context
from trove.db import api as db_api
from trove.db import models as db_models

pytestmark = pytest.mark.functional


def restore(world, backup_id, datastore='mariadb', size=2, **extra):
    body = {'instance': dict({
        'name': 'restored', 'flavorRef': '1', 'volume': {'size': size},
        'restorePoint': {'backupRef': backup_id}}, **extra)}
    if datastore:
        body['instance']['datastore'] = {'type': datastore}
    return world.api.request('POST', BASE + '/instances', body)


def instance_count():
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.query(db_models.Instance).count()


@pytest.fixture
def chain(world):
    """A full backup and an incremental on it, with real objects."""
    instance_id = world.instance()
    full = world.stored_backup(instance_id, b'full backup')
    incremental = world.stored_backup(instance_id, b'incremental',
                                      parent=full)
    return full, incremental


def test_good_restore_point_builds_with_the_backup(world, chain):
    _full, incremental = chain
    created = ok(restore(world, incremental.id), 200)['instance']
    assert created['status'] == 'BUILD'
    [cast] = world.taskmanager.wait_for('create_instance')
    # The backup to restore is an argument of the work the cast names.
    assert cast['work'].args['backup_id'] == incremental.id
    assert created['datastore']['type'] == 'mariadb'


def test_without_datastore_the_backups_is_used(world, chain):
    full, _incremental = chain
    created = ok(restore(world, full.id, datastore=None), 200)['instance']
    assert created['datastore']['type'] == 'mariadb'
    assert created['datastore']['version'] == '10.11'


@pytest.mark.parametrize('case, code', [
    ('unknown', 404), ('not completed', 409), ('too large', 403),
    ('other datastore', 400), ('file deleted', 404), ('file changed', 409),
    ('parent file changed', 409), ('parent file deleted', 404),
    ('no restore point id', 400),
])
def test_bad_restore_points_build_nothing(world, chain, case, code):
    full, incremental = chain
    backup_id, kwargs = incremental.id, {}
    if case == 'unknown':
        backup_id = '00000000-0000-0000-0000-000000000000'
    elif case == 'not completed':
        backup_id = world.backup(world.instance(), state='BUILDING')
    elif case == 'too large':
        backup_id = world.backup(world.instance(), size=3.5,
                                 location=full.location,
                                 checksum=full.checksum)
    elif case == 'other datastore':
        kwargs['datastore'] = 'postgresql'
    elif case in ('file deleted', 'parent file deleted'):
        target = incremental if case == 'file deleted' else full
        os.unlink(target.location[len('file://'):])
    elif case in ('file changed', 'parent file changed'):
        target = incremental if case == 'file changed' else full
        with open(target.location[len('file://'):], 'ab') as stored:
            stored.write(b'!')
    elif case == 'no restore point id':
        backup_id = 'not-a-uuid'
    before = instance_count()
    fault(restore(world, backup_id, **kwargs), code)
    assert instance_count() == before
    assert world.taskmanager.of('create_instance') == []


def test_another_projects_backup_is_not_found(world):
    other = world.stored_backup(world.instance(project='someone-else'),
                                project='someone-else')
    fault(restore(world, other.id), 404)


def test_restore_from_registers_an_existing_object(world, chain):
    full, incremental = chain
    body = {'backup': {'name': 'copied', 'restore_from': {
        'remote_location': incremental.location,
        'local_datastore_version_id': world.ids['mariadb-version'],
        'size': 0.5}}}
    copied = ok(world.api.request('POST', BASE + '/backups', body),
                202)['backup']
    assert (copied['status'], copied['locationRef'], copied['size'],
            copied['instance_id']) == ('RESTORED', incremental.location,
                                       0.5, None)
    assert world.row(copied['id']).checksum == incremental.checksum
    assert world.row(copied['id']).backup_type == 'incremental'
    # It restores like any backup (its chain comes from the objects).
    ok(restore(world, copied['id']), 200)
    # Deleting it never deletes the object it points at.
    ok(world.api.request('DELETE', BASE + '/backups/' + copied['id']), 202)
    assert world.taskmanager.of('delete_backup') == []
    assert os.path.exists(incremental.location[len('file://'):])

    body['backup']['restore_from']['remote_location'] = \
        'file:///etc/passwd'
    fault(world.api.request('POST', BASE + '/backups', body), 404)
    body['backup']['restore_from']['remote_location'] = full.location
    body['backup']['restore_from']['local_datastore_version_id'] = \
        '00000000-0000-0000-0000-000000000000'
    fault(world.api.request('POST', BASE + '/backups', body), 404)
