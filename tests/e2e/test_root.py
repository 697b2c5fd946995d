"""The root user end to end: enable, log in remotely, disable, history.

After each step a real login as root at the instance's address shows
whether the engine lets root in; the API's answers (rootEnabled, the
management root history) must agree.
"""

import pytest

from tests.e2e import sql_logins
from tests.e2e.sql_logins import status_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module', params=['mariadb', 'postgresql'])
def db_instance(request, trove_system):
    yield from sql_logins.shared_instance(trove_system, request.param,
                                          'root')



def root_enabled(client, instance_id):
    return client.root.is_instance_root_enabled(instance_id).rootEnabled


def test_root_enable_login_disable(db_instance, trove_system):
    trove, iid = db_instance.client, db_instance.id
    admin = trove_system.admin_client(db_instance.project_id)
    assert root_enabled(trove, iid) is False
    history = admin.mgmt_instances.root_enabled_history(iid)
    assert (history.enabled, history.user) == ('Never', 'Nobody')
    # Disabling a root that was never enabled is a 404.
    assert status_of(trove.root.disable_instance_root, iid) == 404
    assert not db_instance.can_login('root', '')

    name, password = trove.root.create_instance_root(iid)
    assert name == 'root' and len(password) == 36
    assert root_enabled(trove, iid) is True
    # root logs in remotely at the instance's address and sees the
    # engine's own tables.
    if db_instance.datastore == 'mariadb':
        rows = sql_logins.query('mariadb', db_instance.address, 'root',
                                password, 'SELECT COUNT(*) FROM mysql.user')
    else:
        rows = sql_logins.query('postgresql', db_instance.address, 'root',
                                password, 'SELECT rolsuper FROM pg_roles '
                                "WHERE rolname = 'root'")
    assert rows[0][0]
    history = admin.mgmt_instances.root_enabled_history(iid)
    assert history.id == iid
    assert history.enabled not in ('Never', None)
    assert history.user and history.user != 'Nobody'
    # root is managed through its own API, never listed as a user
    # (MySQL family) nor creatable as one.
    if db_instance.datastore == 'mariadb':
        assert 'root' not in [u.name for u in trove.users.list(iid)]
        assert status_of(trove.users.create, iid, [
            {'name': 'root', 'password': 'x-pw-1'}]) == 400

    # Enabling again gives a new password; the old one stops working.
    _name, second = trove.root.create_instance_root(iid)
    assert second != password
    assert db_instance.can_login('root', second)
    assert not db_instance.can_login('root', password)

    # Disabled: 204, and root can no longer log in remotely.
    trove.root.disable_instance_root(iid)
    assert root_enabled(trove, iid) is False
    assert not db_instance.can_login('root', second)

    # Enabled with a password of the caller's choosing.
    chosen = 'Chosen-Root-Password-7'
    _name, given = trove.root.create_instance_root(iid, chosen)
    assert given == chosen
    assert db_instance.can_login('root', chosen)
    trove.root.disable_instance_root(iid)
    assert not db_instance.can_login('root', chosen)


def test_root_history_is_for_administrators(db_instance):
    status = status_of(
        db_instance.client.mgmt_instances.root_enabled_history,
        db_instance.id)
    assert status == 403


def test_disable_answers_204(db_instance):
    http = db_instance.client.client
    db_instance.client.root.create_instance_root(db_instance.id)
    response, _body = http.delete('/instances/%s/root' % db_instance.id)
    assert response.status_code == 204


def test_cluster_root_of_an_unknown_cluster_is_404(db_instance):
    """An instance id is no cluster id (clusters: tests/e2e/test_clusters)."""
    http = db_instance.client.client
    for method in (http.get, http.post):
        response, body = method('/clusters/%s/root' % db_instance.id,
                                raise_exc=False)
        assert response.status_code == 404
        assert body['itemNotFound']['code'] == 404
