"""Request body schemas accept upstream's bodies and refuse bad ones."""

import json

import pytest
import webob

from trove.common import wsgi
from trove.common.schemas import backup, configuration, instance, mgmt, user

UUID = 'a5330d7d-0e8c-48b4-9f6c-0f2c4ab1b854'


def errors(schema, body):
    """Messages of what is wrong with ``body`` (empty: valid)."""
    return [e.message for e in
            wsgi._schema_validator(schema).iter_errors(body)]


def create_body(**instance_values):
    values = {'name': 'db1', 'flavorRef': 1, 'volume': {'size': 2}}
    values.update(instance_values)
    return {'instance': values}


# Instance create ----------------------------------------------------------

def test_instance_create_accepts_the_api_ref_example():
    body = create_body(
        nics=[{'net-id': UUID}],
        datastore={'type': 'mysql', 'version': '5.7'},
        databases=[{'name': 'sampledb', 'character_set': 'utf8mb3',
                    'collate': 'utf8mb3_general_ci'}],
        users=[{'name': 'demouser', 'password': 'demopassword',
                'databases': [{'name': 'sampledb'}]}],
        access={'is_public': True, 'allowed_cidrs': ['202.78.240.0/24']})
    assert errors(instance.create, body) == []


@pytest.mark.parametrize('flavor_ref', [1, '6', 'ds512M'])
def test_instance_create_flavor_ref_is_an_integer_or_a_string(flavor_ref):
    assert errors(instance.create, create_body(flavorRef=flavor_ref)) == []


@pytest.mark.parametrize('size', [1, 40, '1', '10', '007'])
def test_instance_create_volume_size_forms_accepted(size):
    assert errors(instance.create, create_body(volume={'size': size})) == []


@pytest.mark.parametrize('size', [0, -1, '0', '1.5', 'ten', '', 1.5, None])
def test_instance_create_volume_size_forms_refused(size):
    assert errors(instance.create, create_body(volume={'size': size}))


def test_instance_create_volume_needs_a_size():
    assert errors(instance.create, create_body(volume={'type': 'ssd'}))


def test_instance_create_allows_at_most_one_nic():
    body = create_body(nics=[{'net-id': UUID}, {'net-id': UUID}])
    assert any('too long' in m for m in errors(instance.create, body))


@pytest.mark.parametrize('nic', [
    {'network_id': UUID},
    {'subnet_id': UUID, 'ip_address': '10.0.0.5'},
])
def test_instance_create_nic_forms_accepted(nic):
    assert errors(instance.create, create_body(nics=[nic])) == []


@pytest.mark.parametrize('nic', [
    {'net-id': 'not-a-uuid'},
    {'net-id': UUID, 'port': 'x'},
    {'subnet_id': UUID, 'ip_address': '10.0.0'},
])
def test_instance_create_nic_forms_refused(nic):
    assert errors(instance.create, create_body(nics=[nic]))


def test_instance_create_requires_a_name_with_an_alphanumeric():
    assert errors(instance.create, {'instance': {'flavorRef': 1}})
    assert errors(instance.create, create_body(name='   '))
    assert errors(instance.create, create_body(name='x' * 256))


def test_instance_create_allows_unknown_keys_like_upstream():
    assert errors(instance.create, create_body(something_new=1)) == []


def test_instance_create_refuses_bad_access_and_replica_count():
    assert errors(instance.create,
                  create_body(access={'allowed_cidrs': ['10.0.0.0/33x']}))
    assert errors(instance.create, create_body(access={'is_public': 1}))
    assert errors(instance.create, create_body(replica_count=4))


def test_instance_create_body_must_wrap_the_instance():
    assert errors(instance.create, {'name': 'db1'})
    assert errors(instance.create, None)


# Instance update / edit / actions -----------------------------------------

def test_instance_update_refuses_unknown_keys():
    assert errors(instance.update, {'instance': {'name': 'x'}}) == []
    assert errors(instance.update, {'instance': {}}) == []
    assert errors(instance.update, {'instance': {'configuration': None}}) == []
    assert errors(instance.update, {'instance': {'flavorRef': 2}})


def test_instance_edit_has_no_access_key():
    assert errors(instance.edit, {'instance': {'slave_of': None}}) == []
    assert errors(instance.edit, {'instance': {'access': {}}})


def test_instance_action_schemas():
    assert errors(instance.action_restart, {'restart': {}}) == []
    assert errors(instance.action_resize_volume,
                  {'resize': {'volume': {'size': '4'}}}) == []
    assert errors(instance.action_resize_flavor,
                  {'resize': {'flavorRef': '2'}}) == []
    assert errors(instance.action_resize_flavor, {'resize': {}})
    rebuild = instance.mgmt_action['rebuild']
    assert errors(rebuild, {'rebuild': {'image_id': UUID}}) == []
    assert errors(rebuild, {'rebuild': {'image_id': UUID, 'x': 1}})


# 0/1 integer flags (upstream's "boolean_string") ---------------------------

@pytest.mark.parametrize('flag,valid', [(0, True), (1, True), (2, False),
                                        (True, False), ('1', False)])
def test_backup_incremental_is_an_integer_flag(flag, valid):
    body = {'backup': {'name': 'b1', 'instance': UUID, 'incremental': flag}}
    assert (errors(backup.create, body) == []) is valid


def test_backup_create_requires_a_name_and_uuid_references():
    assert errors(backup.create, {'backup': {'instance': UUID}})
    assert errors(backup.create, {'backup': {'name': 'b', 'instance': 'x'}})


def test_backup_strategy_refuses_unknown_keys():
    body = {'backup_strategy': {'swift_container': 'c'}}
    assert errors(backup.strategy_create, body) == []
    body['backup_strategy']['extra'] = 1
    assert errors(backup.strategy_create, body)


# Configuration ------------------------------------------------------------

def test_configuration_create_and_edit():
    body = {'configuration': {'name': 'grp1',
                              'values': {'max_connections': 100}}}
    assert errors(configuration.create, body) == []
    assert errors(configuration.create, {'configuration': {'name': 'g'}})
    assert errors(configuration.edit, {'configuration': {}})


@pytest.mark.parametrize('restart_required,valid', [
    (0, True), (1, True), (True, True), (2, False), ('yes', False)])
def test_parameter_restart_required_flag(restart_required, valid):
    body = {'configuration-parameter': {
        'name': 'connect_timeout', 'data_type': 'integer',
        'min_size': 64, 'max_size': 65535,
        'restart_required': restart_required}}
    assert (errors(configuration.parameter, body) == []) is valid


def test_parameter_refuses_unknown_data_type_and_bad_name():
    base = {'name': 'x', 'data_type': 'integer', 'restart_required': 0}
    assert errors(configuration.parameter, {'configuration-parameter': base}) == []
    assert errors(configuration.parameter, {'configuration-parameter': dict(
        base, data_type='list')})
    assert errors(configuration.parameter, {'configuration-parameter': dict(
        base, name='bad name')})
    assert errors(configuration.parameter, {'configuration-parameter': dict(
        base, max_size='12a')})


# Management ---------------------------------------------------------------

def test_mgmt_datastore_version_create():
    body = {'version': {'datastore_name': 'mysql',
                        'datastore_manager': 'mysql', 'name': 'test',
                        'image_tags': ['trove'], 'active': True,
                        'default': False, 'packages': [],
                        'version': '5.7.30'}}
    assert errors(mgmt.datastore_version_create, body) == []
    body['version']['unknown'] = 1
    assert errors(mgmt.datastore_version_create, body)


@pytest.mark.parametrize('change', [
    {'active': 1},
    {'image_tags': ['a', 'b', 'c', 'd', 'e', 'f']},
    {'image_tags': ['a', 'a']},
    {'image': 'not-a-uuid'},
])
def test_mgmt_datastore_version_create_refuses(change):
    values = {'datastore_name': 'mysql', 'datastore_manager': 'mysql',
              'name': 'test', 'active': True}
    values.update(change)
    assert errors(mgmt.datastore_version_create, {'version': values})


def test_mgmt_datastore_version_edit_is_a_flat_body():
    assert errors(mgmt.datastore_version_edit, {
        'name': 'new name', 'image': UUID, 'active': True}) == []
    assert errors(mgmt.datastore_version_edit, {'image': ''}) == []
    assert errors(mgmt.datastore_version_edit, {'version': '5.7'})


def test_mgmt_quota_update():
    assert errors(mgmt.quota_update, {'quotas': {'instances': -1,
                                                 'backups': None}}) == []
    assert errors(mgmt.quota_update, {'quotas': {'instances': -2}})


# Users --------------------------------------------------------------------

def test_user_schemas():
    assert errors(user.user_create, {'users': [
        {'name': 'u1', 'password': 'p1', 'host': '%',
         'databases': [{'name': 'db1'}]}]}) == []
    assert errors(user.user_create, {'users': [{'name': 'u1'}]})
    assert errors(user.user_update, {'user': {}})
    assert errors(user.root_create, None) == []


# The API's use of them ----------------------------------------------------

class _Controller(wsgi.Controller):
    schemas = {'create': instance.create}

    def create(self, req, tenant_id, body):
        return wsgi.Result(None, 202)


def _post(body):
    request = webob.Request.blank('/p1/things', method='POST')
    request.body = body if isinstance(body, bytes) else json.dumps(
        body).encode()
    request.environ['wsgiorg.routing_args'] = (
        (), {'action': 'create', 'tenant_id': 'p1'})
    return request.get_response(wsgi.Resource(_Controller()))


def test_resource_refuses_an_invalid_body_with_a_validation_fault():
    response = _post({'instance': {'name': 'db1', 'nics': [{}, {}]}})
    assert response.status_int == 400
    message = response.json['badRequest']['message']
    assert message.startswith('Validation error: instance.nics ')


def test_resource_accepts_a_valid_body():
    assert _post(create_body()).status_int == 202


def test_resource_refuses_malformed_json():
    response = _post(b'{"instance": ')
    assert response.status_int == 400
    assert 'Malformed message body' in response.json['badRequest']['message']
