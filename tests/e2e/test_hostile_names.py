"""Hostile names: refused with 400 or stored literally, never executed.

Quotes, backticks, semicolons, SQL fragments, unicode and 200-character
names go through the API. Each is either refused (400) or becomes a
database/user with exactly that name, usable by a real login; afterwards
the engine's own databases and accounts are all still there.
"""

import pytest

from tests.e2e import sql_logins
from tests.e2e.sql_logins import status_of

pytestmark = pytest.mark.e2e

INJECTION = "x'; DROP DATABASE mysql; --"
LONG = 'n' * 200
HOSTILE_PASSWORD = "p'; DROP USER root; --\"`\\"

# Names MySQL-family validation refuses (forbidden characters, limits)
# and PostgreSQL stores literally (any name up to 63 bytes but pg_*).
DATABASE_NAMES = [INJECTION, 'back`tick1', 'dq"uote1', 'semi;colon1',
                  'ünïcødé db1']
USER_NAMES = [INJECTION, 'back`tick1', 'dq"uote1', 'semi;colon1',
              "it's1"]


@pytest.fixture(scope='module', params=['mariadb', 'postgresql'])
def db_instance(request, trove_system):
    yield from sql_logins.shared_instance(trove_system, request.param,
                                          'hostile')



def names(items):
    return {item.name for item in items}


def test_hostile_database_names(db_instance):
    trove, iid = db_instance.client, db_instance.id
    for name in DATABASE_NAMES:
        if db_instance.datastore == 'mariadb':
            assert status_of(trove.databases.create, iid,
                             [{'name': name}]) == 400, name
        else:
            trove.databases.create(iid, [{'name': name}])
    listed = names(trove.databases.list(iid))
    if db_instance.datastore == 'postgresql':
        assert set(DATABASE_NAMES) <= listed
        for name in DATABASE_NAMES:
            trove.databases.delete(iid, name)
        listed = names(trove.databases.list(iid))
    assert not set(DATABASE_NAMES) & listed
    assert status_of(trove.databases.create, iid, [{'name': LONG}]) == 400
    assert status_of(trove.databases.create, iid, [
        {'name': 'fine', 'character_set': "utf8'; DROP DATABASE x; --"}]) \
        == 400
    assert 'fine' not in names(trove.databases.list(iid))


def test_hostile_user_names_and_passwords(db_instance):
    trove, iid = db_instance.client, db_instance.id
    trove.databases.create(iid, [{'name': 'target'}])
    mysql = db_instance.datastore == 'mariadb'
    for name in USER_NAMES:
        request = [{'name': name, 'password': HOSTILE_PASSWORD,
                    'databases': [{'name': 'target'}]}]
        if mysql:
            assert status_of(trove.users.create, iid, request) == 400, name
            continue
        trove.users.create(iid, request)
        # Stored literally: that exact name logs in with that password.
        assert db_instance.can_login(name, HOSTILE_PASSWORD, 'target'), name
        assert trove.users.get(iid, name).name == name
    if not mysql:
        assert set(USER_NAMES) <= names(trove.users.list(iid))
        for name in USER_NAMES:
            trove.users.delete(iid, name)
            assert not db_instance.can_login(name, HOSTILE_PASSWORD,
                                             'target')
    assert not set(USER_NAMES) & names(trove.users.list(iid))

    # Unicode, dots and percent signs survive the URL both ways.
    for name in ('ünï.cødé1', 'pct%41x1' if not mysql else 'dot.ted1'):
        trove.users.create(iid, [{'name': name,
                                  'password': HOSTILE_PASSWORD}])
        assert trove.users.get(iid, name).name == name
        assert db_instance.can_login(name, HOSTILE_PASSWORD)
        trove.users.grant(iid, name, ['target'])
        assert [d.name for d in trove.users.list_access(iid, name)] == [
            'target']
        trove.users.revoke(iid, name, 'target')
        trove.users.delete(iid, name)
        assert not db_instance.can_login(name, HOSTILE_PASSWORD)

    assert status_of(trove.users.create, iid, [
        {'name': LONG, 'password': 'long-pw-1'}]) == 400
    assert status_of(trove.users.get, iid, LONG) == 400
    if mysql:
        assert status_of(trove.users.create, iid, [
            {'name': 'hosty', 'password': 'hosty-pw-1',
             'host': "%'; DROP DATABASE mysql; --"}]) == 400


def test_system_databases_untouched(db_instance):
    trove, iid = db_instance.client, db_instance.id
    _name, password = trove.root.create_instance_root(iid)
    try:
        present = sql_logins.system_databases_present(
            db_instance.datastore, db_instance.address, password)
        assert present == sql_logins.SYSTEM_DATABASES[db_instance.datastore]
        if db_instance.datastore == 'mariadb':
            rows = sql_logins.query('mariadb', db_instance.address, 'root',
                                    password,
                                    'SELECT COUNT(*) FROM mysql.user')
        else:
            rows = sql_logins.query('postgresql', db_instance.address,
                                    'root', password,
                                    "SELECT COUNT(*) FROM pg_roles WHERE "
                                    "rolname IN ('os_admin', 'root')")
        assert rows[0][0] >= 2
    finally:
        trove.root.disable_instance_root(iid)
