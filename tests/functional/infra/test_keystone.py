"""The real Keystone of trove.localenv.keystone: tokens, catalog, refusals."""

import pytest

from tests.helpers.ports import free_port
from trove.localenv import keystone

pytestmark = pytest.mark.functional


def test_member_token_is_scoped_and_lists_the_database_endpoint(
        keystone_server):
    alice = keystone_server.identity.users['alice']

    token = keystone.authenticate(keystone_server.auth_url, alice.username,
                                  alice.password, 'alpha')

    alpha_id = keystone_server.identity.projects['alpha']
    assert token.project_id == alpha_id
    assert 'member' in token.roles
    expected = keystone_server.identity.endpoints['database'].replace(
        '$(tenant_id)s', alpha_id)
    assert token.endpoint('database') == expected
    assert token.endpoint('database', 'internal') == expected
    assert token.endpoint('identity') == keystone_server.auth_url + '/'


def test_get_token_returns_token_and_project_id(keystone_server):
    bob = keystone_server.identity.users['bob']

    token, project_id = keystone.get_token(keystone_server.auth_url, 'bob',
                                           bob.password, 'beta')

    assert project_id == keystone_server.identity.projects['beta']
    assert len(token) > 100


def test_service_user_has_admin_and_service_roles(keystone_server):
    token = keystone_server.token('trove')

    assert token.project_id == keystone_server.identity.projects['service']
    assert {'admin', 'service'} <= set(token.roles)


def test_bad_password_is_refused_with_401(keystone_server):
    with pytest.raises(keystone.HttpError) as refused:
        keystone.get_token(keystone_server.auth_url, 'alice', 'wrong',
                           'alpha')

    assert refused.value.status == 401


def test_user_cannot_scope_to_a_project_of_another(keystone_server):
    alice = keystone_server.identity.users['alice']

    with pytest.raises(keystone.HttpError) as refused:
        keystone.get_token(keystone_server.auth_url, 'alice', alice.password,
                           'beta')

    assert refused.value.status == 401


def test_registering_an_endpoint_again_moves_it(keystone_server):
    server = keystone_server.server
    first = 'http://127.0.0.1:%d/probe/$(tenant_id)s' % free_port()
    second = 'http://127.0.0.1:%d/probe/$(tenant_id)s' % free_port()

    server.register_endpoint('probe', 'probe-service', first)
    server.register_endpoint('probe', 'probe-service', second)

    token = keystone_server.token('alice')
    assert token.endpoint('probe-service') == second.replace(
        '$(tenant_id)s', token.project_id)
    assert len([service for service in token.catalog
                if service['type'] == 'probe-service']) == 1
