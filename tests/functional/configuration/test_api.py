"""The configuration group API on a control database holding the generated
parameter rules: shapes (upstream's api-ref samples), validation, paging,
project scoping, delete while attached, the parameters API, the default
configuration of an instance, and the checks before any guest is asked."""

import pytest

from tests.functional.api import shapes
from trove.common import context as trove_context
from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import service_status
from tests.functional.responses import fault as _fault, ok as _ok

pytestmark = pytest.mark.functional

BASE = '/v1.0/p1'
OTHER = '/v1.0/p2'
CONFIGS = BASE + '/configurations'


def _create(api, values, datastore='mariadb', version='10.11', name='grp',
            **extra):
    body = {'configuration': dict(name=name, values=values,
                                  datastore={'type': datastore,
                                             'version': version}, **extra)}
    return api.request('POST', CONFIGS, body)


def _created(api, values, **kwargs):
    return _ok(_create(api, values, **kwargs))['configuration']


def _instance(ids, datastore='mariadb', tenant='p1', task=None,
              server_status=states.ServerStatus.ACTIVE, configuration=None):
    """An instance row as the taskmanager leaves a built one."""
    task = task or states.InstanceTasks.NONE
    context = trove_context.get_admin_context()
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        row = db_models.Instance(
            name='db-' + datastore, tenant_id=tenant, flavor_id='1',
            volume_size=1, datastore_version_id=ids[datastore + '-version'],
            task_id=task.code, task_description=task.db_text,
            server_status=server_status, configuration_id=configuration,
            created=now, updated=now)
        session.add(row)
        session.flush()
        service_status.create(session, row.id,
                              states.ServiceStatuses.HEALTHY)
        return row.id


@pytest.fixture
def sample(api_samples_dir):
    return lambda name: shapes.load_sample(api_samples_dir, name)


# Shapes ---------------------------------------------------------------------
def test_create_show_list_have_upstreams_keys(api, sample):
    created = _ok(_create(api, {'connect_timeout': 200}))
    shapes.assert_same_keys(created,
                            sample('config-group-create-response.json'))
    group = created['configuration']
    assert group['values'] == {'connect_timeout': 200}
    assert (group['datastore_name'], group['datastore_version_name'],
            group['instance_count']) == ('mariadb', '10.11', 0)

    shown = _ok(api.get(CONFIGS + '/' + group['id']))
    shapes.assert_same_keys(shown, sample('config-group-show-response.json'))
    assert shown['configuration']['values'] == {'connect_timeout': 200}

    listed = _ok(api.get(CONFIGS))
    shapes.assert_same_keys(listed, sample('config-groups-list-response.json'))
    assert [g['id'] for g in listed['configurations']] == [group['id']]


def test_requests_from_the_samples_are_accepted(api, sample):
    request = sample('config-group-create-request.json')
    request['configuration']['datastore'] = {'type': 'mariadb',
                                             'version': '10.11'}
    group = _ok(api.request('POST', CONFIGS, request))['configuration']
    url = CONFIGS + '/' + group['id']

    patch = api.request('PATCH', url,
                        sample('config-group-patch-request.json'))
    assert patch.status_int == 200 and patch.body == b''
    assert _ok(api.get(url))['configuration']['values'] == {
        'connect_timeout': 17}

    put = api.request('PUT', url, sample('config-group-put-request.json'))
    assert put.status_int == 202 and put.body == b''
    shown = _ok(api.get(url))['configuration']
    assert (shown['name'], shown['description'], shown['values']) == (
        'new_name', 'New description', {'connect_timeout': 18})


def test_instances_of_a_group(api, ids, sample):
    group = _created(api, {'wait_timeout': 100})
    first = _instance(ids, configuration=group['id'])
    second = _instance(ids, configuration=group['id'])
    _instance(ids)
    url = CONFIGS + '/' + group['id'] + '/instances'
    listed = _ok(api.get(url))
    shapes.assert_same_keys(listed,
                            sample('config-group-list-instances-response.json'))
    assert sorted(i['id'] for i in listed['instances']) == sorted(
        [first, second])
    assert _ok(api.get(CONFIGS + '/' + group['id']))['configuration'][
        'instance_count'] == 2

    page = _ok(api.get(url + '?limit=1'))
    assert len(page['instances']) == 1
    marker = page['links'][0]['href'].split('marker=')[1]
    rest = _ok(api.get(url + '?limit=1&marker=' + marker))
    assert rest['instances'][0]['id'] != page['instances'][0]['id']


# Validation ------------------------------------------------------------------
@pytest.mark.parametrize('values,name,reason', [
    ({'no_such_thing': 1}, 'no_such_thing', 'not supported'),
    ({'wait_timeout': '100'}, 'wait_timeout', 'integer is required'),
    ({'wait_timeout': True}, 'wait_timeout', 'integer is required'),
    ({'wait_timeout': 0}, 'wait_timeout', 'below the minimum 1'),
    ({'wait_timeout': 31536001}, 'wait_timeout', 'above the maximum'),
    ({'long_query_time': 'slow'}, 'long_query_time', 'number is required'),
    ({'local_infile': 'maybe'}, 'local_infile', 'true or false'),
    ({'binlog_format': 'JSON'}, 'binlog_format', 'not one of'),
    ({'sql_mode': 'ANSI,NOPE'}, 'sql_mode', "'NOPE' not among"),
    ({'default_storage_engine': 'InnoDB\ninit_file=/x'},
     'default_storage_engine', 'control characters'),
    ({'default_storage_engine': 'x' * 129}, 'default_storage_engine',
     'longer than 128'),
])
def test_invalid_values_are_422_naming_the_parameter(api, values, name,
                                                      reason):
    fault, message = _fault(_create(api, values), 422)
    assert fault == 'unprocessableEntity'
    assert name in message and reason in message
    assert _ok(api.get(CONFIGS))['configurations'] == []


def test_postgresql_rules_validate_too(api):
    _fault(_create(api, {'work_mem': 32}, 'postgresql', '15'), 422)
    _fault(_create(api, {'log_min_messages': 'loud'}, 'postgresql', '15'),
           422)
    group = _created(api, {'work_mem': 65536, 'log_min_messages': 'ERROR',
                           'random_page_cost': 1, 'jit': 'off'},
                     datastore='postgresql', version='15')
    # Stored as the engine spells them, shown typed.
    assert group['values'] == {'work_mem': 65536,
                               'log_min_messages': 'error',
                               'random_page_cost': 1.0, 'jit': False}


def test_values_are_normalised_and_typed(api):
    group = _created(api, {'local_infile': 1, 'binlog_format': 'row',
                           'sql_mode': 'ansi, strict_all_tables',
                           'long_query_time': 2, 'autocommit': 'OFF'})
    assert group['values'] == {'local_infile': True, 'binlog_format': 'ROW',
                               'sql_mode': 'ANSI,STRICT_ALL_TABLES',
                               'long_query_time': 2.0, 'autocommit': False}


def test_a_version_without_rules_is_not_supported(api):
    from trove.datastore import models as datastore_models
    datastore_models.update_version(
        trove_context.get_admin_context(), 'mysql', '5.7', 'mysql', None,
        None, True, version='5.7.44')
    _name, message = _fault(_create(api, {'wait_timeout': 5},
                                    datastore='mysql', version='5.7'), 422)
    assert 'not supported for this datastore' in message


def test_schema_errors_are_400(api):
    _fault(api.request('POST', CONFIGS, {'configuration': {'name': 'x'}}),
           400)
    _fault(api.request('POST', CONFIGS, {'configuration': {
        'name': 'x', 'values': []}}), 400)


def test_password_like_values_are_masked(api, ids):
    body = {'configuration-parameter': {
        'name': 'report_password', 'restart_required': 1,
        'data_type': 'string'}}
    _ok(api.admin('POST', BASE + '/mgmt/datastores/versions/%s/parameters'
                  % ids['mariadb-version'], body))
    group = _created(api, {'report_password': 's3cret', 'wait_timeout': 9})
    assert group['values'] == {'report_password': '***', 'wait_timeout': 9}
    shown = _ok(api.get(CONFIGS + '/' + group['id']))['configuration']
    assert shown['values']['report_password'] == '***'


# Changes, delete, scoping -----------------------------------------------------
def test_put_replaces_and_patch_merges(api):
    group = _created(api, {'wait_timeout': 100, 'max_connections': 50})
    url = CONFIGS + '/' + group['id']
    _ok(api.request('PATCH', url, {'configuration': {'values': {
        'max_connections': 60, 'binlog_format': 'MIXED'}}}))
    assert _ok(api.get(url))['configuration']['values'] == {
        'wait_timeout': 100, 'max_connections': 60, 'binlog_format': 'MIXED'}
    _ok(api.request('PUT', url, {'configuration': {'values': {
        'interactive_timeout': 300}}}), 202)
    assert _ok(api.get(url))['configuration']['values'] == {
        'interactive_timeout': 300}
    # An invalid change changes nothing.
    _fault(api.request('PATCH', url, {'configuration': {'values': {
        'interactive_timeout': -1}}}), 422)
    assert _ok(api.get(url))['configuration']['values'] == {
        'interactive_timeout': 300}


def test_delete_is_refused_while_attached(api, ids):
    group = _created(api, {'wait_timeout': 100})
    url = CONFIGS + '/' + group['id']
    instance_id = _instance(ids, configuration=group['id'])
    name, message = _fault(api.request('DELETE', url), 400)
    assert name == 'badRequest' and 'attached' in message
    with db_api.writer(trove_context.get_admin_context()) as session:
        session.get(db_models.Instance, instance_id).deleted = True
    assert api.request('DELETE', url).status_int == 202
    _fault(api.get(url), 404)
    assert _ok(api.get(CONFIGS))['configurations'] == []


def test_groups_are_the_projects_own(api):
    group = _created(api, {'wait_timeout': 100})
    _fault(api.get(OTHER + '/configurations/' + group['id']), 404)
    assert _ok(api.get(OTHER + '/configurations'))['configurations'] == []
    _fault(api.request('DELETE', OTHER + '/configurations/' + group['id']),
           404)
    _fault(api.get(CONFIGS + '/not-a-uuid'), 404)


def test_list_pages_by_id(api):
    made = sorted(_created(api, {'wait_timeout': n + 1}, name='g%d' % n)['id']
                  for n in range(3))
    page = _ok(api.get(CONFIGS + '?limit=2'))
    assert [g['id'] for g in page['configurations']] == made[:2]
    assert page['links'][0]['rel'] == 'next'
    rest = _ok(api.get(CONFIGS + '?limit=2&marker=' + made[1]))
    assert [g['id'] for g in rest['configurations']] == made[2:]
    assert 'links' not in rest


# Parameters API -----------------------------------------------------------------
def test_parameters_show_allowed_values(api, ids):
    url = BASE + '/datastores/mariadb/versions/10.11/parameters'
    params = {p['name']: p for p in _ok(api.get(url))[
        'configuration-parameters']}
    assert params['binlog_format']['allowed_values'] == ['MIXED',
                                                         'STATEMENT', 'ROW']
    assert params['sql_mode']['multiple'] is True
    assert 'allowed_values' not in params['wait_timeout']
    assert (params['wait_timeout']['min'], params['wait_timeout']['max'],
            params['wait_timeout']['restart_required']) == (1, 31536000,
                                                            False)
    assert params['back_log']['restart_required'] is True
    mgmt = _ok(api.admin('GET', BASE + '/mgmt/datastores/versions/%s/'
                         'parameters/binlog_format' % ids['mariadb-version']))
    assert mgmt['allowed_values'] == ['MIXED', 'STATEMENT', 'ROW']


def test_mgmt_parameter_with_allowed_values(api, ids):
    url = BASE + '/mgmt/datastores/versions/%s/parameters' % ids[
        'mysql-version']
    created = _ok(api.admin('POST', url, {'configuration-parameter': {
        'name': 'binlog_format', 'restart_required': 0,
        'data_type': 'string', 'allowed_values': ['ROW', 'MIXED']}}))
    assert created['allowed_values'] == ['ROW', 'MIXED']
    _fault(api.admin('POST', url, {'configuration-parameter': {
        'name': 'bad', 'restart_required': 0, 'data_type': 'integer',
        'max_size': 2, 'min_size': 1, 'allowed_values': ['x']}}), 400)
    _fault(_create(api, {'binlog_format': 'STATEMENT'}, datastore='mysql',
                   version='8.0'), 422)


# Instances --------------------------------------------------------------------
def test_default_configuration_of_an_instance(api, ids, sample):
    for datastore, key, kind in (('mariadb', 'max_connections', int),
                                 ('postgresql', 'shared_buffers', str)):
        instance_id = _instance(ids, datastore)
        shown = _ok(api.get(BASE + '/instances/%s/configuration'
                            % instance_id))
        assert list(shown) == ['instance']
        values = shown['instance']['configuration']
        assert isinstance(values[key], kind)
    assert values['shared_buffers'] == '256MB'  # a quarter of 1024 MB
    _fault(api.get(OTHER + '/instances/%s/configuration' % instance_id), 404)


def test_attach_refusals_happen_before_any_guest_call(api, ids):
    group = _created(api, {'wait_timeout': 100})
    pg_group = _created(api, {'work_mem': 4096}, datastore='postgresql',
                        version='15')
    other = _created(api, {'wait_timeout': 100}, name='theirs')

    def attach(instance_id, configuration_id, base=BASE):
        return api.request('PUT', base + '/instances/' + instance_id,
                           {'instance': {'configuration': configuration_id}})

    building = _instance(ids, task=states.InstanceTasks.BUILDING)
    _fault(attach(building, group['id']), 400)
    ready = _instance(ids)
    name, message = _fault(attach(ready, pg_group['id']), 400)
    assert 'datastore' in message
    _fault(attach(ready, '5f2b4a2e-6b86-4a39-9f71-0d0c3c5bd0a1'), 404)
    attached = _instance(ids, configuration=other['id'])
    name, message = _fault(attach(attached, group['id']), 400)
    assert 'already has configuration' in message
    # Detaching what is not attached does nothing.
    assert api.request('PUT', BASE + '/instances/' + ready,
                       {'instance': {}}).status_int == 202
    # Another project's group is not found.
    theirs = _instance(ids, tenant='p2')
    _fault(attach(theirs, group['id'], OTHER), 404)


def test_create_with_a_group_of_another_version_builds_nothing(api, ids):
    pg_group = _created(api, {'work_mem': 4096}, datastore='postgresql',
                        version='15')
    body = {'instance': {'name': 'x', 'flavorRef': '1', 'volume': {'size': 1},
                         'datastore': {'type': 'mariadb', 'version': '10.11'},
                         'configuration': pg_group['id']}}
    _fault(api.request('POST', BASE + '/instances', body), 400)
    body['instance']['configuration'] = '5f2b4a2e-6b86-4a39-9f71-0d0c3c5bd0a1'
    _fault(api.request('POST', BASE + '/instances', body), 404)
    assert _ok(api.get(BASE + '/instances'))['instances'] == []
