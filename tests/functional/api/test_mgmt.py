"""The management API: datastore versions and their configuration
parameters, admin only."""

import pytest

from trove.common import context as trove_context
from trove.db import api as db_api
from trove.db import models as db_models
from tests.functional.responses import fault as _fault

pytestmark = pytest.mark.functional

BASE = '/v1.0/p1'
VERSIONS = BASE + '/mgmt/datastore-versions'
IMAGE = '42706631-3b76-4d1c-95c9-6a85e72eebda'


def _params(version_id):
    return BASE + '/mgmt/datastores/versions/%s/parameters' % version_id


def _new_version(**values):
    version = {'name': '5.7', 'datastore_name': 'percona',
               'datastore_manager': 'mysql', 'active': True,
               'image_tags': ['trove'], 'packages': ['pkg-a', 'pkg-b'],
               'version': '5.7.44'}
    version.update(values)
    return {'version': version}


def _mgmt_versions(api):
    return api.admin('GET', VERSIONS).json['versions']


def _create(api, **values):
    response = api.admin('POST', VERSIONS, _new_version(**values))
    assert response.status_int == 202, response.body
    assert response.body == b''
    body = _new_version(**values)['version']
    [created] = [v for v in _mgmt_versions(api)
                 if (v['datastore_name'], v['name'], v['version']) == (
                     body['datastore_name'], body['name'],
                     body.get('version', body['name']))]
    return created


@pytest.mark.parametrize('method,path', [
    ('GET', VERSIONS),
    ('POST', VERSIONS),
    ('GET', VERSIONS + '/v1'),
    ('PATCH', VERSIONS + '/v1'),
    ('DELETE', VERSIONS + '/v1'),
    ('GET', _params('v1')),
    ('POST', _params('v1')),
    ('GET', _params('v1') + '/x'),
    ('PUT', _params('v1') + '/x'),
    ('DELETE', _params('v1') + '/x'),
])
def test_non_admins_are_forbidden(api, method, path):
    body = {'version': {}} if method in ('POST', 'PUT', 'PATCH') else None
    if path.startswith(BASE + '/mgmt/datastores'):
        body = body and {'configuration-parameter': {
            'name': 'x', 'data_type': 'string', 'restart_required': 0}}
    if method == 'POST' and path == VERSIONS:
        body = _new_version()
    if method == 'PATCH':
        body = {'active': False}
    response = api.request(method, path, body=body)
    name, message = _fault(response, 403)
    assert name == 'forbidden'
    assert message == 'User does not have admin privileges.'


def test_create_registers_a_version_and_its_datastore(api):
    created = _create(api, default=True)
    assert created == {
        'id': created['id'], 'name': '5.7', 'version': '5.7.44',
        'datastore_id': created['datastore_id'], 'datastore_name': 'percona',
        'datastore_manager': 'mysql', 'image': None,
        'image_tags': ['trove'], 'packages': ['pkg-a', 'pkg-b'],
        'active': True, 'default': True,
        'registry_ext': 'trove.guestagent.datastore.mysql.manager.Manager',
        # MySQL replication is not implemented: no strategy to name.
        'repl_strategy': ''}
    datastore = api.get(BASE + '/datastores/percona').json['datastore']
    assert datastore['default_version'] == created['id']
    shown = api.admin('GET', VERSIONS + '/' + created['id']).json
    assert shown == {'version': created}


def test_create_twice_is_refused(api):
    _create(api)
    name, message = _fault(api.admin('POST', VERSIONS, _new_version()), 400)
    assert 'already exists' in message


def test_create_with_a_bad_body_is_refused(api):
    body = _new_version()
    del body['version']['active']
    _, message = _fault(api.admin('POST', VERSIONS, body), 400)
    assert message.startswith('Validation error:')
    _, message = _fault(api.admin('POST', VERSIONS, b'{"version": '), 400)
    assert message.startswith('Malformed message body')


def test_versions_without_image_show_upstream_placeholders(api):
    created = _create(api, name='6.0', image_tags=[], packages=[])
    assert (created['image_tags'], created['packages']) == ([''], [''])


def test_unknown_version_is_404(api):
    for method in ('GET', 'DELETE'):
        name, _ = _fault(api.admin(method, VERSIONS + '/nope'), 404)
        assert name == 'itemNotFound'
    _fault(api.admin('PATCH', VERSIONS + '/nope', {'active': False}), 404)


def test_edit_changes_attributes(api):
    created = _create(api, default=True)
    response = api.admin('PATCH', VERSIONS + '/' + created['id'], {
        'name': '5.7-renamed', 'image': IMAGE, 'active': False,
        'packages': [], 'datastore_manager': 'mariadb', 'default': False})
    assert response.status_int == 202 and response.body == b''
    shown = api.admin('GET', VERSIONS + '/' + created['id']).json['version']
    assert (shown['name'], shown['image'], shown['active'],
            shown['packages'], shown['datastore_manager'],
            shown['default'], shown['version']) == (
        '5.7-renamed', IMAGE, False, [''], 'mariadb', False, '5.7.44')
    # Inactive versions are hidden from tenants.
    assert _fault(api.get(BASE + '/datastores/percona'), 404)[0] == \
        'itemNotFound'


def test_edit_image_tags_without_image_clear_the_image(api):
    created = _create(api, image=IMAGE)
    assert created['image'] == IMAGE
    api.admin('PATCH', VERSIONS + '/' + created['id'],
              {'image_tags': ['trove', 'new']})
    shown = api.admin('GET', VERSIONS + '/' + created['id']).json['version']
    assert (shown['image'], shown['image_tags']) == (None, ['trove', 'new'])


def test_edit_refuses_a_name_taken_and_unknown_keys(api):
    first = _create(api)
    _create(api, name='other', version='5.7.44')
    _, message = _fault(api.admin('PATCH', VERSIONS + '/' + first['id'],
                                  {'name': 'other'}), 400)
    assert 'already exists' in message
    _, message = _fault(api.admin('PATCH', VERSIONS + '/' + first['id'],
                                  {'version': '9'}), 400)
    assert message.startswith('Validation error:')


def _add_rows(*rows):
    with db_api.writer(trove_context.get_admin_context()) as session:
        session.add_all(rows)


@pytest.mark.parametrize('resource', ['instance', 'backup', 'configuration'])
def test_delete_is_refused_while_the_version_is_used(api, resource):
    created = _create(api)
    version_id = created['id']
    row = {
        'instance': db_models.Instance(name='db1', tenant_id='p1', task_id=1,
                                       datastore_version_id=version_id),
        'backup': db_models.Backup(name='b1', tenant_id='p1', state='NEW',
                                   datastore_version_id=version_id),
        'configuration': db_models.Configuration(
            name='g1', tenant_id='p1', datastore_version_id=version_id),
    }[resource]
    _add_rows(row)
    _, message = _fault(api.admin('DELETE', VERSIONS + '/' + version_id),
                        400)
    assert message == 'Datastore version is in use by %s.' % resource
    assert api.admin('GET', VERSIONS + '/' + version_id).status_int == 200


def test_delete_removes_the_version_its_parameters_and_default(api):
    created = _create(api, default=True)
    version_id = created['id']
    param = {'configuration-parameter': {
        'name': 'max_connections', 'data_type': 'integer', 'min_size': 1,
        'max_size': 100000, 'restart_required': 0}}
    assert api.admin('POST', _params(version_id), param).status_int == 200
    response = api.admin('DELETE', VERSIONS + '/' + version_id)
    assert response.status_int == 202 and response.body == b''
    assert api.admin('GET', VERSIONS + '/' + version_id).status_int == 404
    datastore = api.admin('GET', BASE + '/datastores/percona').json[
        'datastore']
    assert datastore['versions'] == [] and 'default_version' not in datastore
    with db_api.reader(trove_context.get_admin_context()) as session:
        assert session.query(
            db_models.DatastoreConfigurationParameter).filter_by(
            datastore_version_id=version_id).count() == 0


# Configuration parameters -------------------------------------------------

def _param_body(name='connect_timeout', data_type='integer', **values):
    body = {'name': name, 'data_type': data_type, 'restart_required': 0,
            'min_size': 64, 'max_size': 65535}
    body.update(values)
    return {'configuration-parameter': body}


def test_parameter_lifecycle(api, ids):
    version_id = ids['postgresql-version']
    url = _params(version_id)
    created = api.admin('POST', url, _param_body())
    assert created.status_int == 200
    assert created.json == {
        'name': 'connect_timeout', 'datastore_version_id': version_id,
        'restart_required': False, 'type': 'integer', 'max_size': 65535,
        'min_size': 64}
    assert api.admin('GET', url + '/connect_timeout').json == created.json
    assert api.admin('GET', url).json == {
        'configuration-parameters': [created.json]}
    # Tenants see it with their names for the bounds.
    public = api.get(BASE + '/datastores/versions/%s/parameters/'
                     'connect_timeout' % version_id).json
    assert (public['max'], public['min']) == (65535, 64)

    updated = api.admin('PUT', url + '/connect_timeout', _param_body(
        restart_required=1, min_size='10', max_size='20'))
    assert updated.status_int == 200
    assert (updated.json['restart_required'], updated.json['min_size'],
            updated.json['max_size']) == (True, 10, 20)

    deleted = api.admin('DELETE', url + '/connect_timeout')
    assert deleted.status_int == 204 and deleted.body == b''
    assert _fault(api.admin('GET', url + '/connect_timeout'), 404)
    assert _fault(api.admin('DELETE', url + '/connect_timeout'), 404)
    assert api.admin('GET', url).json == {'configuration-parameters': []}
    # A deleted parameter can be created again.
    again = api.admin('POST', url, _param_body(max_size=99, min_size=1))
    assert (again.status_int, again.json['max_size']) == (200, 99)


def test_parameter_create_twice_is_refused(api, ids):
    url = _params(ids['postgresql-version'])
    api.admin('POST', url, _param_body())
    _, message = _fault(api.admin('POST', url, _param_body()), 400)
    assert 'already exists' in message


@pytest.mark.parametrize('body,fragment', [
    (_param_body(max_size=None), 'max_size is required'),
    (_param_body(min_size=None), 'min_size is required'),
    (_param_body(min_size=10, max_size=5), 'greater than or equal'),
    (_param_body(max_size='1.5'), 'max_size must be a number'),
    (_param_body(data_type='list'), 'Validation error'),
    (_param_body(restart_required=True, name='bad name'),
     'Validation error'),
])
def test_parameter_bad_bodies(api, ids, body, fragment):
    values = body['configuration-parameter']
    for key in [k for k, v in values.items() if v is None]:
        del values[key]
    _, message = _fault(api.admin('POST', _params(ids['postgresql-version']),
                                  body), 400)
    assert fragment in message


def test_parameter_types_other_than_integer(api, ids):
    url = _params(ids['postgresql-version'])
    string = api.admin('POST', url, _param_body(
        name='sql_mode', data_type='string', restart_required=True))
    assert string.json == {
        'name': 'sql_mode', 'datastore_version_id': ids['postgresql-version'],
        'restart_required': True, 'type': 'string'}
    number = api.admin('POST', url, _param_body(
        name='ratio', data_type='float', min_size='0.5', max_size=2))
    assert (number.json['min_size'], number.json['max_size']) == (0.5, 2.0)


def test_parameters_of_an_unknown_version_are_404(api):
    for method, suffix, body in (('GET', '', None),
                                 ('POST', '', _param_body()),
                                 ('GET', '/x', None),
                                 ('PUT', '/x', _param_body()),
                                 ('DELETE', '/x', None)):
        _fault(api.admin(method, _params('nope') + suffix, body), 404)


def test_update_of_an_unknown_parameter_is_404(api, ids):
    _fault(api.admin('PUT', _params(ids['mysql-version']) + '/nope',
                     _param_body(name='nope')), 404)
