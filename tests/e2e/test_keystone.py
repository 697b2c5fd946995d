"""Trove with a real Keystone: tokens, tenant isolation, admin, policy, CLIs.

``trove-local up --keystone`` runs Keystone beside the services (its own
state under the system's state dir, a free port) and trove-api checks
tokens with keystonemiddleware. Alice (project alpha) owns an ACTIVE
MariaDB instance; Bob (project beta) must not see or touch it; the admin
may. The policy file named in trove.conf is edited while the system runs
to show that overrides take effect. ``trove-local down`` (the fixture's
teardown) must stop Keystone too.
"""

import json
import os
import time

import pytest
import requests

from tests.e2e import conftest as e2e_conftest
from tests.e2e import system as e2e
from tests.helpers import ports
from tests.helpers.processes import wait_until
from trove.common import daemon
from trove.localenv import keystone

pytestmark = pytest.mark.e2e


class KeystoneTroveSystem(e2e.KeystoneTroveSystem):
    """With a policy file the tests edit while the system runs."""

    @property
    def policy_file(self):
        return os.path.join(self.state_dir, 'policy-override.yaml')


class Caller:
    """Raw HTTP to the API as one Keystone user (token scoped to the
    user's project); paths are under ``/v1.0/<project>``."""

    def __init__(self, api_url, auth_url, credentials):
        self.api_url = api_url
        self.credentials = credentials
        token = keystone.authenticate(auth_url, credentials.username,
                                      credentials.password,
                                      credentials.project_name)
        self.token = token.token
        self.project_id = token.project_id
        self.roles = token.roles
        self.catalog_endpoint = token.endpoint('database')

    def url(self, path, project_id=None):
        return '%s/v1.0/%s%s' % (self.api_url, project_id or self.project_id,
                                 path)

    def request(self, method, path, body=None, project_id=None, token=None):
        headers = {'X-Auth-Token': self.token if token is None else token,
                   'Accept': 'application/json'}
        if token == '':
            del headers['X-Auth-Token']
        return requests.request(method, self.url(path, project_id),
                                json=body, headers=headers, timeout=60)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)


def _fault(response, code, name):
    assert response.status_code == code, response.text
    document = response.json()
    assert list(document) == [name], document
    assert document[name]['code'] == code
    return document[name]['message']


@pytest.fixture(scope='module')
def ks_system():
    keystone_pid = None
    with e2e.temporary_system('trove-e2e-ks-', KeystoneTroveSystem,
                              keystone_port=ports.free_port()) as system:
        system.extra_options.append(
            'oslo_policy.policy_file=%s' % system.policy_file)
        with open(system.policy_file, 'w') as policy:
            policy.write('{}\n')
        system.up()
        keystone_pid = daemon.read_pid(os.path.join(system.keystone_dir,
                                                     'keystone.pid'))
        yield system
    # trove-local down stops Keystone by its pid as well.
    assert keystone_pid and not daemon.pid_alive(keystone_pid)


@pytest.fixture(scope='module')
def identity(ks_system):
    return ks_system.identity()


@pytest.fixture(scope='module')
def alice(ks_system, identity):
    return Caller(ks_system.api_url, identity.auth_url,
                  identity.users['alice'])


@pytest.fixture(scope='module')
def bob(ks_system, identity):
    return Caller(ks_system.api_url, identity.auth_url, identity.users['bob'])


@pytest.fixture(scope='module')
def admin(ks_system, identity):
    return Caller(ks_system.api_url, identity.auth_url, identity.admin)


@pytest.fixture(scope='module')
def alice_instance(ks_system, identity):
    """Alice's ACTIVE MariaDB instance, created through the catalog."""
    client = e2e.keystone_client(identity, identity.users['alice'])
    created = client.instances.create(
        'alice-db', flavor_id='1', volume={'size': 1}, datastore='mariadb')
    return e2e.wait_for_instance(client, created.id, system=ks_system)


# Authentication ---------------------------------------------------------------

def test_no_token_is_401(alice):
    response = alice.get('/instances', token='')
    message = _fault(response, 401, 'unauthorized')
    assert 'authentication' in message
    assert response.headers['WWW-Authenticate'].startswith('Keystone uri=')


def test_bad_token_is_401(alice):
    _fault(alice.get('/instances', token='not-a-token'), 401, 'unauthorized')


def test_version_document_needs_no_token(ks_system):
    response = requests.get(ks_system.api_url + '/', timeout=30)
    assert response.status_code == 200
    assert response.json()['versions'][0]['id'] == 'v1.0'


def test_catalog_points_at_the_api(alice, ks_system):
    assert alice.catalog_endpoint == alice.url('')
    assert alice.roles == ['member', 'reader']


def test_catalog_offers_the_local_providers_compute_and_volume_routes(
        alice, identity):
    """What Horizon reads from Nova and Cinder, the local provider serves:
    the flavors Trove lists, under the catalog's compute entry."""
    credentials = identity.users['alice']
    token = keystone.authenticate(identity.auth_url, credentials.username,
                                  credentials.password,
                                  credentials.project_name)
    volume = token.endpoint('volumev3')
    assert volume.endswith('/volume/v3/' + token.project_id)
    assert token.endpoint('block-storage') == volume
    # Without --swift there is no object store to offer.
    assert token.endpoint('object-store') is None
    response = requests.get(token.endpoint('compute') + '/flavors/detail',
                            headers={'X-Auth-Token': token.token},
                            timeout=30)
    assert response.status_code == 200, response.text
    trove_flavors = alice.get('/flavors').json()['flavors']
    assert [(f['id'], f['name'], f['ram']) for f in
            response.json()['flavors']] == [
        (f['str_id'], f['name'], f['ram']) for f in trove_flavors]


def test_token_used_on_another_projects_url_is_403(alice, bob):
    message = _fault(alice.get('/instances', project_id=bob.project_id),
                     403, 'forbidden')
    assert bob.project_id in message


# Tenant isolation ------------------------------------------------------------

def test_other_project_does_not_list_the_instance(alice, bob, alice_instance):
    assert alice_instance.id in [
        i['id'] for i in alice.get('/instances').json()['instances']]
    for path in ('/instances', '/instances/detail'):
        listed = bob.get(path).json()['instances']
        assert alice_instance.id not in [i['id'] for i in listed]


@pytest.mark.parametrize('method,path,body', [
    ('GET', '', None),
    ('PUT', '', {'instance': {'name': 'stolen'}}),
    ('PATCH', '', {'instance': {'name': 'stolen'}}),
    ('POST', '/action', {'restart': {}}),
    ('POST', '/action', {'resize': {'volume': {'size': 2}}}),
    ('GET', '/databases', None),
    ('POST', '/databases', {'databases': [{'name': 'stolen'}]}),
    ('GET', '/users', None),
    ('POST', '/root', None),
    ('DELETE', '', None),
])
def test_other_project_cannot_touch_the_instance(alice, bob, alice_instance,
                                                 method, path, body):
    response = bob.request(method, '/instances/%s%s'
                           % (alice_instance.id, path), body)
    _fault(response, 404, 'itemNotFound')
    shown = alice.get('/instances/' + alice_instance.id).json()['instance']
    assert shown['name'] == 'alice-db'
    assert shown['status'] == 'ACTIVE'
    assert shown['volume']['size'] == 1


def test_instance_list_of_all_projects_is_for_the_admin(
        admin, bob, alice_instance):
    message = _fault(bob.get('/instances?all_projects=true'), 403,
                     'forbidden')
    assert 'instance:index:all_projects' in message
    listed = admin.get('/instances?all_projects=true').json()['instances']
    assert alice_instance.id in [i['id'] for i in listed]
    # Without all_projects the admin sees its own project only.
    own = admin.get('/instances').json()['instances']
    assert alice_instance.id not in [i['id'] for i in own]


def test_admin_can_show_another_projects_instance(admin, alice,
                                                  alice_instance):
    response = admin.get('/instances/' + alice_instance.id)
    assert response.status_code == 200, response.text
    shown = response.json()['instance']
    assert shown['id'] == alice_instance.id
    assert shown['tenant_id'] == alice.project_id


def test_reset_status_is_for_the_admin(alice, admin, alice_instance):
    url = '/instances/%s/action' % alice_instance.id
    message = _fault(alice.request('POST', url, {'reset_status': {}}), 403,
                     'forbidden')
    assert 'instance:reset_status' in message
    response = admin.request('POST', url, {'reset_status': {}})
    assert response.status_code == 202, response.text
    # reset_status leaves the datastore status unknown (operating_status
    # ERROR) until the next heartbeat brings it back to HEALTHY.
    wait_until(lambda: _statuses(alice, alice_instance.id) == (
        'ACTIVE', 'HEALTHY'), timeout=60,
        message='instance did not come back to ACTIVE/HEALTHY')


def _statuses(caller, instance_id):
    shown = caller.get('/instances/' + instance_id).json()['instance']
    return shown['status'], shown['operating_status']


# Backups and configuration groups (once their APIs exist) -------------------

def _require_route(caller, path):
    response = caller.get(path)
    if response.status_code == 404:
        pytest.skip('GET %s answers 404: that API is not served yet; this '
                    'isolation test asserts as soon as it is' % path)
    assert response.status_code == 200, response.text


def test_other_project_cannot_touch_a_configuration(alice, bob):
    _require_route(alice, '/configurations')
    created = alice.request('POST', '/configurations', {'configuration': {
        'name': 'alice-conf', 'values': {'max_connections': 120},
        'datastore': {'type': 'mariadb'}}})
    assert created.status_code == 200, created.text
    config_id = created.json()['configuration']['id']
    try:
        listed = bob.get('/configurations').json()['configurations']
        assert config_id not in [c['id'] for c in listed]
        path = '/configurations/' + config_id
        for method, suffix, body in (
                ('GET', '', None),
                ('GET', '/instances', None),
                ('PUT', '', {'configuration': {
                    'values': {'max_connections': 5}}}),
                ('PATCH', '', {'configuration': {
                    'values': {'max_connections': 5}}}),
                ('DELETE', '', None)):
            _fault(bob.request(method, path + suffix, body), 404,
                   'itemNotFound')
        shown = alice.get(path).json()['configuration']
        assert shown['name'] == 'alice-conf'
        assert shown['values'] == {'max_connections': 120}
    finally:
        alice.request('DELETE', '/configurations/' + config_id)


def _backup_settled(alice, backup_id):
    backup = alice.get('/backups/' + backup_id).json()['backup']
    return backup['status'] in ('COMPLETED', 'FAILED', 'ERROR') and backup


def test_other_project_cannot_touch_a_backup(alice, bob, admin,
                                             alice_instance):
    _require_route(alice, '/backups')
    _fault(bob.request('POST', '/backups', {'backup': {
        'name': 'stolen', 'instance': alice_instance.id}}), 404,
        'itemNotFound')
    created = alice.request('POST', '/backups', {'backup': {
        'name': 'alice-backup', 'instance': alice_instance.id}})
    assert created.status_code == 202, created.text
    backup_id = created.json()['backup']['id']
    wait_until(lambda: _backup_settled(alice, backup_id), timeout=300,
               interval=1, message='backup did not finish')

    listed = bob.get('/backups').json()['backups']
    assert backup_id not in [b['id'] for b in listed]
    _fault(bob.get('/backups/' + backup_id), 404, 'itemNotFound')
    _fault(bob.request('DELETE', '/backups/' + backup_id), 404,
           'itemNotFound')
    _fault(bob.get('/instances/%s/backups' % alice_instance.id), 404,
           'itemNotFound')
    assert alice.get('/backups/' + backup_id).status_code == 200

    _fault(bob.get('/backups?all_projects=true'), 403, 'forbidden')
    every = admin.get('/backups?all_projects=true').json()['backups']
    assert backup_id in [b['id'] for b in every]
    wait_until(lambda: alice.get('/instances/' + alice_instance.id).json()[
        'instance']['status'] == 'ACTIVE', timeout=60,
        message='instance did not come back to ACTIVE after the backup')


# Management API and quotas ----------------------------------------------------

@pytest.mark.parametrize('method,path,body', [
    ('GET', '/mgmt/datastore-versions', None),
    ('POST', '/mgmt/datastore-versions', {'version': {
        'name': 'x', 'datastore_name': 'mariadb',
        'datastore_manager': 'mariadb', 'active': True}}),
    ('PUT', '/mgmt/quotas/{project}', {'quotas': {'instances': 100}}),
])
def test_member_gets_403_on_management_routes(alice, method, path, body):
    path = path.format(project=alice.project_id)
    _fault(alice.request(method, path, body), 403, 'forbidden')


def test_admin_uses_management_routes(admin):
    versions = admin.get('/mgmt/datastore-versions')
    assert versions.status_code == 200, versions.text
    assert 'mariadb' in [v['datastore_name']
                         for v in versions.json()['versions']]


def test_quotas_per_project(alice, bob, admin):
    own = alice.get('/mgmt/quotas/' + alice.project_id)
    assert own.status_code == 200, own.text
    _fault(alice.get('/mgmt/quotas/' + bob.project_id), 403, 'forbidden')

    response = admin.request('PUT', '/mgmt/quotas/' + bob.project_id,
                             {'quotas': {'instances': 0}})
    assert response.json() == {'quotas': {'instances': 0}}
    limits = bob.get('/limits').json()['limits']
    assert limits[0]['max_instances'] == 0
    message = _fault(bob.request('POST', '/instances', {'instance': {
        'name': 'none-allowed', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'}}}), 413, 'overLimit')
    assert message == "Quota exceeded for resources: ['instances']."
    assert bob.get('/instances').json()['instances'] == []
    # Alice's quota is her own.
    alpha = {q['resource']: q for q in alice.get(
        '/mgmt/quotas/' + alice.project_id).json()['quotas']}
    assert alpha['instances']['limit'] != 0


# Policy overrides ---------------------------------------------------------------

def _write_policy(ks_system, rules):
    path = ks_system.policy_file
    with open(path + '.tmp', 'w') as policy:
        json.dump(rules, policy)
    os.replace(path + '.tmp', path)


def test_policy_file_overrides_take_effect(ks_system, alice, admin):
    assert alice.get('/instances').status_code == 200
    try:
        # Ensure a new modification time even on a coarse clock.
        time.sleep(0.01)
        _write_policy(ks_system, {'instance:index': 'rule:admin'})
        # Each API worker rereads the file when it changes; poll so both
        # have seen it.
        wait_until(lambda: all(alice.get('/instances').status_code == 403
                               for _ in range(6)), timeout=30,
                   message='policy override not applied')
        message = _fault(alice.get('/instances'), 403, 'forbidden')
        assert 'instance:index' in message
        assert admin.get('/instances').status_code == 200
        # Other rules keep their defaults.
        assert alice.get('/flavors').status_code == 200
    finally:
        _write_policy(ks_system, {})
    wait_until(lambda: all(alice.get('/instances').status_code == 200
                           for _ in range(6)), timeout=30,
               message='policy override not removed')


def test_admin_role_comes_from_the_policy(ks_system, alice):
    """context_is_admin decides who is an administrator."""
    try:
        time.sleep(0.01)
        _write_policy(ks_system, {'context_is_admin': 'role:member'})
        wait_until(lambda: all(
            alice.get('/mgmt/datastore-versions').status_code == 200
            for _ in range(6)), timeout=30,
            message='context_is_admin override not applied')
    finally:
        _write_policy(ks_system, {})
    wait_until(lambda: all(
        alice.get('/mgmt/datastore-versions').status_code == 403
        for _ in range(6)), timeout=30,
        message='context_is_admin override not removed')


# The real CLIs with Keystone password auth ------------------------------------

def _cli(ks_system, openrc, *args):
    env = {'HOME': os.environ.get('HOME', '/root'),
           'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
           'PYTHONWARNINGS': 'ignore',
           'OPENRC': os.path.join(ks_system.state_dir, openrc)}
    result = e2e_conftest.run_cli(env, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_openstack_cli_lists_with_password_auth(ks_system, alice_instance):
    listed = json.loads(_cli(ks_system, 'openrc', 'openstack', 'database',
                             'instance', 'list', '-f', 'json'))
    assert alice_instance.id in [i['ID'] for i in listed]
    other = json.loads(_cli(ks_system, 'openrc-bob', 'openstack',
                            'database', 'instance', 'list', '-f', 'json'))
    assert alice_instance.id not in [i['ID'] for i in other]


def test_legacy_trove_cli_lists_with_password_auth(ks_system,
                                                   alice_instance):
    listed = json.loads(_cli(ks_system, 'openrc', 'trove', '--json',
                             'list'))
    assert alice_instance.id in [i['id'] for i in listed]
    shown = json.loads(_cli(ks_system, 'openrc', 'trove', '--json', 'show',
                            alice_instance.id))
    assert shown['name'] == 'alice-db'


def test_status_shows_keystone(ks_system):
    status = ks_system._trove_local('status', '--state-dir',
                                    ks_system.state_dir)
    assert 'keystone' in status
    assert 'keystone           running' in status
