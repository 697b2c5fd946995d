"""Volume types, the flavors and volume types a datastore version may use
(restricted with trove-manage, as upstream), and deleting a datastore."""

import os
import subprocess
import sys

import pytest

from tests.functional.api.test_instances import taskmanager  # noqa: F401
from tests.functional.responses import fault, ok
from trove.common import context as trove_context
from trove.datastore import constraints
from trove.db import api as db_api
from trove.db import models as db_models

pytestmark = pytest.mark.functional

BASE = '/v1.0/p1'
TROVE_MANAGE = os.path.join(os.path.dirname(sys.executable), 'trove-manage')


def _admin_ctx():
    return trove_context.get_admin_context()


def test_volume_types_come_from_the_provider(api):
    [local] = ok(api.get(BASE + '/volume-types'))['volume_types']
    assert (local['name'], local['is_public']) == ('local', True)
    assert set(local) == {'id', 'name', 'is_public', 'description'}
    shown = ok(api.get(BASE + '/volume-types/' + local['id']))
    assert shown == {'volume_type': local}
    assert ok(api.get(BASE + '/volume-types/local'))['volume_type'] == local
    name, _ = fault(api.get(BASE + '/volume-types/gold'), 404)
    assert name == 'itemNotFound'


def test_a_version_may_be_restricted_to_flavors(taskmanager, api,  # noqa
                                                ids):
    path = BASE + '/datastores/mysql/versions/8.0/flavors'
    every = ok(api.get(path))['flavors']
    assert [f['name'] for f in every] == ['small', 'medium']
    small = [f for f in every if f['name'] == 'small'][0]
    constraints.add(_admin_ctx(), ids['mysql-version'], constraints.FLAVOR,
                    [small['str_id']])
    assert [f['name'] for f in ok(api.get(path))['flavors']] == ['small']
    # Creating with another flavor is refused before anything exists.
    medium = [f for f in every if f['name'] == 'medium'][0]
    body = {'instance': {'name': 'x', 'flavorRef': medium['str_id'],
                         'volume': {'size': 1},
                         'datastore': {'type': 'mysql'}}}
    name, message = fault(api.request('POST', BASE + '/instances', body),
                          400)
    assert 'not supported for datastore version 8.0' in message
    body['instance']['flavorRef'] = small['str_id']
    ok(api.request('POST', BASE + '/instances', body))


def test_a_version_may_be_restricted_to_volume_types(api, ids):
    path = BASE + '/datastores/mysql/versions/8.0/volume-types'
    assert [t['name'] for t in ok(api.get(path))['volume_types']] == [
        'local']
    constraints.add(_admin_ctx(), ids['mysql-version'],
                    constraints.VOLUME_TYPE, ['gold'])
    assert ok(api.get(path))['volume_types'] == []


def test_deleting_a_datastore(api, ids):
    name, _ = fault(api.request('DELETE', BASE + '/datastores/mysql'), 403)
    assert name == 'forbidden'
    _, message = fault(api.admin('DELETE', BASE + '/datastores/mysql'), 400)
    assert 'versions exist' in message
    with db_api.writer(_admin_ctx()) as session:
        session.add(db_models.Datastore(name='empty'))
    ok(api.admin('DELETE', BASE + '/datastores/empty'), 202)
    fault(api.admin('GET', BASE + '/datastores/empty'), 404)


def test_trove_manage_restricts_a_version(seeded_db, tmp_path):
    url, _ids = seeded_db
    config = tmp_path / 'manage.conf'
    config.write_text('[DEFAULT]\nstate_path = %s\n[database]\n'
                      'connection = %s\n' % (tmp_path, url))

    def manage(*args):
        result = subprocess.run(
            [TROVE_MANAGE, '--config-file', str(config)] + list(args),
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONWARNINGS='ignore'))
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert 'not restricted' in manage('datastore_version_flavor_list',
                                      'mysql', '8.0')
    manage('datastore_version_flavor_add', 'mysql', '8.0', '1,2')
    assert manage('datastore_version_flavor_list', 'mysql',
                  '8.0').split() == ['1', '2']
    manage('datastore_version_flavor_delete', 'mysql', '8.0', '2')
    manage('datastore_version_volume_type_add', 'mysql', '8.0', 'local')
    assert manage('datastore_version_flavor_list', 'mysql',
                  '8.0').split() == ['1']
    assert manage('datastore_version_volume_type_list', 'mysql',
                  '8.0').split() == ['local']


def test_trove_manage_defines_local_volume_types(api, seeded_db, tmp_path):
    """Types defined with trove-manage are stored in the control DB and
    offered next to the option's: listed, shown, accepted on create,
    gone once deleted."""
    url, _ids = seeded_db
    config = tmp_path / 'types.conf'
    config.write_text('[DEFAULT]\nstate_path = %s\n[database]\n'
                      'connection = %s\n' % (tmp_path, url))

    def manage(*args):
        return subprocess.run(
            [TROVE_MANAGE, '--config-file', str(config)] + list(args),
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONWARNINGS='ignore'))

    created = manage('volume_type_create', 'fast', '--description',
                     'SSD directory')
    assert created.returncode == 0, created.stderr
    with db_api.reader(_admin_ctx()) as session:
        row = session.query(db_models.VolumeType).one()
    assert (row.name, row.description) == ('fast', 'SSD directory')
    listed = ok(api.get(BASE + '/volume-types'))['volume_types']
    assert [t['name'] for t in listed] == ['local', 'fast']
    fast = listed[1]
    assert (fast['id'], fast['description']) == (row.id, 'SSD directory')
    assert ok(api.get(BASE + '/volume-types/' + row.id))[
        'volume_type'] == fast
    assert [t['name'] for t in ok(api.get(
        BASE + '/datastores/mysql/versions/8.0/volume-types'))[
            'volume_types']] == ['local', 'fast']
    table = manage('volume_type_list').stdout.splitlines()
    assert [line.split()[1:3] for line in table[1:]] == [
        ['local', 'option'], ['fast', 'defined']]
    # The option's types and duplicates are refused in one line.
    for name in ('local', 'fast'):
        refused = manage('volume_type_create', name)
        assert refused.returncode == 1 and 'Traceback' not in refused.stderr
        assert refused.stderr.startswith('error:'), refused.stderr
    body = {'instance': {'name': 'typed', 'flavorRef': '1',
                         'volume': {'size': 1, 'type': 'fast'},
                         'datastore': {'type': 'mysql'}}}
    ok(api.request('POST', BASE + '/instances', body))
    deleted = manage('volume_type_delete', 'fast')
    assert deleted.returncode == 0, deleted.stderr
    assert [t['name'] for t in ok(api.get(BASE + '/volume-types'))[
        'volume_types']] == ['local']
    fault(api.get(BASE + '/volume-types/fast'), 404)
    body['instance']['name'] = 'typed-again'
    _, message = fault(api.request('POST', BASE + '/instances', body), 400)
    assert 'fast' in message
    gone = manage('volume_type_delete', 'fast')
    assert gone.returncode == 1 and gone.stderr.startswith('error:')
