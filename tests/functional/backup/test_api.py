"""The backup and backup strategy API: routes, codes, keys and quirks of
upstream (reference §1.3, §8.4, §8.7), what it casts to the taskmanager,
and what it records (rows, quota)."""

import urllib.parse

import pytest
import sqlalchemy as sa

from tests.functional.api import shapes
from tests.functional.backup.conftest import (BASE, OTHER_PROJECT, PROJECT,
                                              fault, ok)
from trove.common import states
from trove.db import api as db_api

pytestmark = pytest.mark.functional


@pytest.fixture
def sample(api_samples_dir):
    return lambda name: shapes.load_sample(api_samples_dir, name)


def create(world, instance_id, **extra):
    body = {'backup': dict({'name': 'nightly', 'instance': instance_id},
                           **extra)}
    return world.api.request('POST', BASE + '/backups', body)


def backups_usage(world):
    quotas = ok(world.api.admin('GET', BASE + '/mgmt/quotas/' + PROJECT))
    [entry] = [q for q in quotas['quotas'] if q['resource'] == 'backups']
    return entry['in_use']


# Shapes ----------------------------------------------------------------------
def test_responses_have_the_keys_of_the_samples(world, sample):
    instance_id = world.instance()
    created = ok(create(world, instance_id, description='My Backup'), 202)
    # Upstream's view has project_id (its list sample lacks it, which makes
    # the clients load every listed backup again).
    shapes.assert_same_keys(created, sample('backup-create-response.json'),
                            only_ours=['backup.project_id'])
    world.backup(instance_id, location='file:///x', checksum='c' * 32)
    listed = ok(world.api.get(BASE + '/backups'))
    shapes.assert_same_keys(listed, sample('backup-list-response.json'),
                            only_ours=['backups[].project_id'])
    shown = ok(world.api.get(BASE + '/backups/' + created['backup']['id']))
    # The show view adds the progress and the last restore drill
    # (doc/restore-drills.md).
    shapes.assert_same_keys(shown, sample('backup-get-response.json'),
                            only_ours=['backup.project_id', 'backup.progress',
                                       'backup.last_verified_at',
                                       'backup.last_drill_rto_s',
                                       'backup.last_drill_result',
                                       'backup.row_counts'])
    of_instance = ok(world.api.get(BASE + '/instances/%s/backups'
                                   % instance_id))
    shapes.assert_same_keys(
        of_instance, sample('instance-backup-list-response.json'),
        only_ours=['backups[].project_id', 'backups[].storage_driver',
                   # Point-in-time recovery (doc/pitr.md).
                   'restorable_window', 'restorable_window.earliest',
                   'restorable_window.latest', 'restorable_window.gaps'])


def test_the_create_request_sample_is_accepted(world, sample):
    body = sample('backup-create-request.json')
    body['backup']['instance'] = world.instance()
    body['backup']['storage_driver'] = 'local'
    assert ok(world.api.request('POST', BASE + '/backups', body),
              202)['backup']['status'] == 'NEW'
    # The sample's cinder driver: volume snapshots are not supported here.
    body['backup']['storage_driver'] = 'cinder'
    body['backup']['instance'] = world.instance()
    fault(world.api.request('POST', BASE + '/backups', body), 501)


def test_strategies_have_the_keys_of_the_samples(world, sample):
    request = sample('backup-strategy-create-request.json')
    request['backup_strategy']['instance_id'] = world.instance()
    created = ok(world.api.request('POST', BASE + '/backup_strategies',
                                   request), 202)
    shapes.assert_same_keys(created,
                            sample('backup-strategy-create-response.json'))
    listed = ok(world.api.get(BASE + '/backup_strategies'))
    shapes.assert_same_keys(listed,
                            sample('backup-strategy-list-response.json'))


# Create --------------------------------------------------------------------
def test_create_casts_the_backup_and_the_instance_shows_backup(world):
    instance_id = world.instance()
    created = ok(create(world, instance_id, description='d'), 202)['backup']
    assert (created['status'], created['instance_id'],
            created['storage_driver'], created['parent_id']) == (
        'NEW', instance_id, 'local', None)
    [cast] = world.taskmanager.wait_for('create_backup')
    info = cast['backup_info']
    assert cast['instance_id'] == instance_id
    assert (info['id'], info['backup_type'], info['parent'],
            info['datastore'], info['datastore_version'],
            info['storage_driver']) == (
        created['id'], 'full', None, 'mariadb', '10.11', 'local')
    assert backups_usage(world) == 1

    instance = ok(world.api.get(BASE + '/instances/' + instance_id))
    assert instance['instance']['status'] == 'BACKUP'
    # While it runs: no second backup, no other action (422).
    fault(create(world, instance_id), 422)
    fault(world.api.request('POST', BASE + '/instances/%s/action'
                            % instance_id, {'restart': {}}), 422)


def test_incremental_is_based_on_the_last_completed_backup(world):
    instance_id = world.instance()
    world.backup(instance_id, name='old', location='file:///a',
                 checksum='a' * 32)
    latest = world.backup(instance_id, name='new', location='file:///b',
                          checksum='b' * 32)
    world.backup(instance_id, state='FAILED')
    created = ok(create(world, instance_id, incremental=1), 202)['backup']
    assert created['parent_id'] == latest
    [cast] = world.taskmanager.wait_for('create_backup')
    assert cast['backup_info']['backup_type'] == 'incremental'
    assert cast['backup_info']['parent'] == {
        'id': latest, 'location': 'file:///b', 'checksum': 'b' * 32}


def test_strategy_container_is_used_unless_the_request_names_one(world):
    instance_id = world.instance()
    ok(world.api.request('POST', BASE + '/backup_strategies', {
        'backup_strategy': {'swift_container': 'project_wide'}}), 202)
    ok(create(world, instance_id), 202)
    [cast] = world.taskmanager.wait_for('create_backup')
    assert cast['backup_info']['swift_container'] == 'project_wide'
    fault(create(world, world.instance(), swift_container='a/../b'), 400)


@pytest.mark.parametrize('case, code', [
    ('unknown instance', 404), ('building instance', 422),
    ('parent of another instance', 409), ('failed parent', 409),
    ('cinder', 501), ('no instance', 400), ('bad incremental', 400),
])
def test_create_refusals(world, case, code):
    instance_id = world.instance()
    other = world.instance()
    body = {}
    if case == 'unknown instance':
        instance_id = '00000000-0000-0000-0000-000000000000'
    elif case == 'building instance':
        instance_id = world.instance(task=states.InstanceTasks.BUILDING)
    elif case == 'parent of another instance':
        body['parent_id'] = world.backup(other, location='file:///p')
    elif case == 'failed parent':
        body['parent_id'] = world.backup(instance_id, state='FAILED')
    elif case == 'cinder':
        body['storage_driver'] = 'cinder'
    elif case == 'no instance':
        instance_id = None
    elif case == 'bad incremental':
        body['incremental'] = 'yes'
    request = {'backup': dict({'name': 'x'}, **body)}
    if instance_id:
        request['backup']['instance'] = instance_id
    fault(world.api.request('POST', BASE + '/backups', request), code)
    assert backups_usage(world) == 0
    assert world.taskmanager.of('create_backup') == []


def test_over_quota_is_413(world):
    ok(world.api.admin('PUT', BASE + '/mgmt/quotas/' + PROJECT,
                       {'quotas': {'backups': 1}}))
    ok(create(world, world.instance()), 202)
    message = fault(create(world, world.instance()), 413)
    assert 'backups' in message


# List ------------------------------------------------------------------------
def _select_count(world, path):
    statements = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith('SELECT'):
            statements.append(statement)
    engine = db_api.get_engine()
    sa.event.listen(engine, 'before_cursor_execute', record)
    try:
        ok(world.api.get(path))
    finally:
        sa.event.remove(engine, 'before_cursor_execute', record)
    return len(statements)


def test_list_pages_by_key_newest_first_in_constant_queries(world):
    instance_id = world.instance()
    world.backup(instance_id, name='first')
    one = _select_count(world, BASE + '/backups')
    ids = [world.backup(instance_id, name='b%02d' % i) for i in range(24)]
    assert _select_count(world, BASE + '/backups') == one

    page = ok(world.api.get(BASE + '/backups'))
    assert len(page['backups']) == 20
    assert [b['id'] for b in page['backups'][:3]] == ids[::-1][:3]
    [link] = page['links']
    assert link['rel'] == 'next'
    marker = urllib.parse.parse_qs(
        urllib.parse.urlsplit(link['href']).query)['marker'][0]
    rest = ok(world.api.get(BASE + '/backups?marker=' + marker))
    assert len(rest['backups']) == 5 and 'links' not in rest
    assert rest['backups'][-1]['name'] == 'first'
    assert ok(world.api.get(BASE + '/backups?marker=20')) == rest
    limited = ok(world.api.get(BASE + '/backups?limit=2&marker=3'))
    assert [b['id'] for b in limited['backups']] == ids[::-1][3:5]
    fault(world.api.get(BASE + '/backups?marker=abc'), 400)


def test_list_filters(world):
    maria = world.instance()
    postgres = world.instance(manager='postgresql')
    world.backup(maria, name='m')
    world.backup(postgres, name='p', manager='postgresql')
    world.backup(world.instance(project=OTHER_PROJECT),
                 project=OTHER_PROJECT, name='other')

    def names(query):
        return sorted(b['name'] for b in ok(world.api.get(
            BASE + '/backups' + query))['backups'])
    assert names('') == ['m', 'p']
    assert names('?datastore=postgresql') == ['p']
    assert names('?instance_id=' + maria) == ['m']
    fault(world.api.get(BASE + '/backups?datastore=nosuch'), 404)
    fault(world.api.get(BASE + '/backups?all_projects=1'), 403)
    everything = ok(world.api.admin('GET', BASE + '/backups?all_projects=1'))
    assert sorted(b['name'] for b in everything['backups']) == [
        'm', 'other', 'p']
    # Another project's backup is not found, not forbidden.
    [other] = [b for b in everything['backups'] if b['name'] == 'other']
    fault(world.api.get(BASE + '/backups/' + other['id']), 404)


# Delete ------------------------------------------------------------------------
def test_delete_removes_children_first_and_releases_quota(world):
    instance_id = world.instance()
    for _ in range(3):
        ok(create(world, instance_id), 202)
        [backup_id] = [b['id'] for b in ok(world.api.get(
            BASE + '/backups'))['backups'] if b['status'] == 'NEW']
        with db_api.writer(world.context) as session:
            session.execute(sa.text(
                "UPDATE backups SET state='COMPLETED', location=:l "
                "WHERE id=:i"), {'l': 'file:///' + backup_id,
                                 'i': backup_id})
    full, child, grandchild = [b['id'] for b in sorted(
        ok(world.api.get(BASE + '/backups'))['backups'],
        key=lambda b: b['created'])]
    for parent, backup in ((full, child), (child, grandchild)):
        with db_api.writer(world.context) as session:
            session.execute(sa.text('UPDATE backups SET parent_id=:p '
                                    'WHERE id=:i'),
                            {'p': parent, 'i': backup})
    assert backups_usage(world) == 3

    ok(world.api.request('DELETE', BASE + '/backups/' + full), 202)
    for backup_id in (full, child, grandchild):
        fault(world.api.get(BASE + '/backups/' + backup_id), 404)
    casts = world.taskmanager.wait_for('delete_backup', 3)
    assert [c['backup_id'] for c in casts] == [grandchild, child, full]
    assert backups_usage(world) == 0


def test_running_backups_are_kept_until_they_expire(world):
    instance_id = world.instance()
    parent = world.backup(instance_id, location='file:///p')
    running = world.backup(instance_id, state='BUILDING', parent_id=parent)
    fault(world.api.request('DELETE', BASE + '/backups/' + parent), 422)
    ok(world.api.get(BASE + '/backups/' + running))
    world.age(running, days=4)
    ok(world.api.request('DELETE', BASE + '/backups/' + parent), 202)
    fault(world.api.get(BASE + '/backups/' + running), 404)


def test_unknown_backup_is_404(world):
    fault(world.api.get(BASE + '/backups/nope'), 404)
    fault(world.api.request(
        'DELETE', BASE + '/backups/00000000-0000-0000-0000-000000000000'),
        404)


# Strategies ------------------------------------------------------------------
def test_strategies_upsert_list_and_delete(world):
    instance_id = world.instance()
    url = BASE + '/backup_strategies'
    for container in ('first', 'second'):
        ok(world.api.request('POST', url, {'backup_strategy': {
            'instance_id': instance_id, 'swift_container': container}}),
            202)
    ok(world.api.request('POST', url, {'backup_strategy': {
        'swift_container': 'project'}}), 202)
    listed = ok(world.api.get(url))['backup_strategies']
    assert sorted((s['instance_id'], s['swift_container'])
                  for s in listed) == [('', 'project'),
                                       (instance_id, 'second')]
    assert ok(world.api.get(url + '?instance_id=' + instance_id))[
        'backup_strategies'][0]['backend'] == 'swift'
    ok(world.api.request('DELETE', url + '?instance_id=' + instance_id),
       202)
    assert [s['instance_id'] for s in ok(world.api.get(url))[
        'backup_strategies']] == ['']
    fault(world.api.get(url + '?project_id=' + OTHER_PROJECT), 403)
    fault(world.api.request('POST', url, {'backup_strategy': {
        'swift_container': 'x', 'bogus': 1}}), 400)
    fault(world.api.request('POST', url, {'backup_strategy': {
        'swift_container': 'x',
        'instance_id': '00000000-0000-0000-0000-000000000000'}}), 404)
