"""Databases, users, access and root through a real guest agent's RPC.

One prepared instance per engine (MariaDB, PostgreSQL) for the module;
every step is checked with real SQL logins over TCP at the instance's
address. The guest is driven with trove.guestagent.api, exactly as the
API drives it, so refusals arrive as trove.common.exception classes.
"""


import psycopg
import pymysql
import pytest

from tests.functional.guestagent import utils
from trove.common import exception

pytestmark = pytest.mark.functional

SYSTEM_DATABASES = {
    'mariadb': {'mysql', 'information_schema', 'performance_schema'},
    'postgresql': {'postgres', 'template0', 'template1'},
}


def login(instance, user, password, database=None):
    """A connection as ``user`` at the instance's address (raises if the
    engine refuses it)."""
    if instance.manager == 'postgresql':
        return psycopg.connect(host=instance.address, port=5432, user=user,
                               password=password,
                               dbname=database or 'postgres',
                               connect_timeout=5, autocommit=True)
    return pymysql.connect(host=instance.address, port=3306, user=user,
                           password=password, database=database,
                           connect_timeout=5, autocommit=True)


def can_login(instance, user, password, database=None):
    try:
        login(instance, user, password, database).close()
        return True
    except (psycopg.Error, pymysql.Error):
        return False


def db(name, charset=None, collate=None):
    return {'_name': name, '_character_set': charset, '_collate': collate}


def user(name, password, databases=(), host='%'):
    return {'_name': name, '_host': host, '_password': password,
            '_databases': [{'_name': d} for d in databases]}


@pytest.fixture(scope='module')
def module_dir():
    with utils.module_temp_dir('trove-test-sql-') as path:
        yield path


@pytest.fixture(scope='module', params=sorted(utils.ENGINES))
def instance(request, module_dir, conductor):
    with utils.healthy_guest(request.param, module_dir, conductor) as guest:
        yield guest


def names(items):
    return [item['_name'] for item in items]


def test_databases_are_created_listed_paged_and_deleted(instance):
    api = instance.api()
    charset = 'utf8mb4' if instance.manager == 'mariadb' else 'UTF8'
    api.create_database([db('p_a1'), db('p_b2'),
                         db('p_c3', charset)])
    listed, marker = api.list_databases()
    assert marker is None
    assert {'p_a1', 'p_b2', 'p_c3'} <= set(names(listed))
    # Reserved databases are never listed.
    assert not set(names(listed)) & SYSTEM_DATABASES[instance.manager]
    assert [d['_character_set'] for d in listed
            if d['_name'] == 'p_c3'] == [charset]

    ordered = sorted(names(listed))
    page, marker = api.list_databases(limit=1)
    assert names(page) == ordered[:1] and marker == ordered[0]
    page, marker = api.list_databases(limit=2, marker=marker)
    assert names(page) == ordered[1:3]
    page, _ = api.list_databases(limit=1, marker=ordered[1],
                                 include_marker=True)
    assert names(page) == [ordered[1]]

    api.delete_database(db('p_b2'))
    assert 'p_b2' not in names(api.list_databases()[0])
    with pytest.raises(exception.DatabaseNotFound):
        api.delete_database(db('p_b2'))


def test_unknown_character_set_is_a_bad_request(instance):
    with pytest.raises(exception.BadRequest) as raised:
        instance.api().create_database([db('p_bad', 'nosuchcharset')])
    assert 'refused' in str(raised.value)
    assert 'p_bad' not in names(instance.api().list_databases()[0])


def test_users_access_rename_password_and_delete(instance):
    api = instance.api()
    api.create_database([db('u_one'), db('u_two')])
    api.create_user([user('alice', 'alice-pw-1', ['u_one'])])
    with pytest.raises(exception.UserAlreadyExists):
        api.create_user([user('alice', 'other-pw')])
    # A user asking for a database that does not exist is refused and
    # nothing is created.
    with pytest.raises(exception.DatabaseNotFound):
        api.create_user([user('bob', 'bob-pw-1', ['u_missing'])])
    assert api.get_user('bob', '%') is None

    shown = api.get_user('alice', '%')
    assert shown['_name'] == 'alice' and shown['_host'] == '%'
    assert names(shown['_databases']) == ['u_one']
    assert can_login(instance, 'alice', 'alice-pw-1', 'u_one')
    assert not can_login(instance, 'alice', 'alice-pw-1', 'u_two')

    api.grant_access('alice', '%', ['u_two'])
    assert names(api.list_access('alice', '%')) == ['u_one', 'u_two']
    assert can_login(instance, 'alice', 'alice-pw-1', 'u_two')
    api.revoke_access('alice', '%', 'u_two')
    assert names(api.list_access('alice', '%')) == ['u_one']
    assert not can_login(instance, 'alice', 'alice-pw-1', 'u_two')
    with pytest.raises(exception.DatabaseNotFound):
        api.revoke_access('alice', '%', 'u_two')
    with pytest.raises(exception.DatabaseNotFound):
        api.grant_access('alice', '%', ['u_missing'])

    api.change_passwords([{'name': 'alice', 'host': '%',
                           'password': 'alice-pw-2'}])
    assert can_login(instance, 'alice', 'alice-pw-2', 'u_one')
    assert not can_login(instance, 'alice', 'alice-pw-1', 'u_one')

    # Renamed: the new name logs in with the same password and keeps its
    # access; the old name is gone.
    api.update_attributes('alice', '%', {'name': 'alicia'})
    assert api.get_user('alice', '%') is None
    assert names(api.get_user('alicia', '%')['_databases']) == ['u_one']
    assert can_login(instance, 'alicia', 'alice-pw-2', 'u_one')
    assert not can_login(instance, 'alice', 'alice-pw-2', 'u_one')
    api.update_attributes('alicia', '%', {'password': 'alice-pw-3'})
    assert can_login(instance, 'alicia', 'alice-pw-3', 'u_one')

    with pytest.raises(exception.UserNotFound):
        api.update_attributes('nobody', '%', {'name': 'x'})

    # The user's tables survive its deletion.
    with login(instance, 'alicia', 'alice-pw-3', 'u_one') as connection:
        with connection.cursor() as cursor:
            cursor.execute('CREATE TABLE kept (id INT)')
    api.delete_user(user('alicia', None))
    assert api.get_user('alicia', '%') is None
    assert not can_login(instance, 'alicia', 'alice-pw-3', 'u_one')
    with pytest.raises(exception.UserNotFound):
        api.delete_user(user('alicia', None))


def test_users_are_listed_and_paged(instance):
    api = instance.api()
    api.create_user([user('page%d' % i, 'pw-page-%d' % i) for i in range(3)])
    listed, marker = api.list_users()
    assert marker is None
    assert {'page0', 'page1', 'page2'} <= set(names(listed))
    assert not set(names(listed)) & {'os_admin', 'root', 'postgres'}
    first, marker = api.list_users(limit=2)
    assert len(first) == 2 and marker
    rest, last = api.list_users(marker=marker)
    assert last is None
    assert names(first) + names(rest) == names(
        sorted(listed, key=lambda u: marker_of(instance, u)))


def marker_of(instance, serialized):
    if instance.manager == 'postgresql':
        return serialized['_name']
    return '%s@%s' % (serialized['_name'], serialized['_host'])


def test_mysql_user_host_is_part_of_the_identity(instance):
    if instance.manager != 'mariadb':
        pytest.skip('hosts are a MySQL-family notion')
    api = instance.api()
    api.create_user([user('hosted', 'hosted-pw', host='10.1.%')])
    assert api.get_user('hosted', '%') is None
    assert api.get_user('hosted', '10.1.%')['_host'] == '10.1.%'
    # Connections come from 127.x: this user cannot log in.
    assert not can_login(instance, 'hosted', 'hosted-pw')
    api.update_attributes('hosted', '10.1.%', {'host': '%'})
    assert can_login(instance, 'hosted', 'hosted-pw')


def test_root_enable_and_disable(instance):
    api = instance.api()
    root = api.enable_root()
    assert root['_name'] == 'root' and len(root['_password']) == 36
    assert api.is_root_enabled() is True
    assert can_login(instance, 'root', root['_password'])
    api.disable_root()
    assert api.is_root_enabled() is False
    assert not can_login(instance, 'root', root['_password'])
    root = api.enable_root_with_password('Chosen-Root-Pw-1')
    assert root['_password'] == 'Chosen-Root-Pw-1'
    assert can_login(instance, 'root', 'Chosen-Root-Pw-1')
    api.disable_root()
    assert not can_login(instance, 'root', 'Chosen-Root-Pw-1')


def test_hostile_names_are_stored_literally(instance):
    """The guest quotes identifiers and binds values: whatever reaches it
    is a name, never SQL (the API refuses most of these earlier)."""
    api = instance.api()
    hostile = "x'; DROP DATABASE mysql; --"
    weird = 'q"`b\\ü;'
    api.create_database([db(hostile), db(weird)])
    assert {hostile, weird} <= set(names(api.list_databases()[0]))
    api.create_user([user(weird, "pw'; --", [hostile, weird])])
    assert set(names(api.get_user(weird, '%')['_databases'])) == {
        hostile, weird}
    assert can_login(instance, weird, "pw'; --", hostile)
    api.revoke_access(weird, '%', hostile)
    assert not can_login(instance, weird, "pw'; --", hostile)
    api.delete_user(user(weird, None))
    api.delete_database(db(hostile))
    api.delete_database(db(weird))
    assert not {hostile, weird} & set(names(api.list_databases()[0]))
    root = api.enable_root()
    try:
        with login(instance, 'root', root['_password']) as connection:
            with connection.cursor() as cursor:
                if instance.manager == 'postgresql':
                    cursor.execute('SELECT datname FROM pg_database')
                else:
                    cursor.execute('SHOW DATABASES')
                present = {row[0] for row in cursor.fetchall()}
        assert SYSTEM_DATABASES[instance.manager] <= present
    finally:
        api.disable_root()


def test_stopped_engine_is_unprocessable(instance):
    api = instance.api()
    api.stop_db()
    try:
        with pytest.raises(exception.UnprocessableEntity):
            api.list_users()
    finally:
        api.restart()
    assert 'page0' in names(api.list_users()[0])


def test_row_counts_and_a_check_query_for_restore_drills(instance):
    """What a drill asks a sandbox's guest (get_diagnostics' checks): the
    rows of every user table, exact or estimated, and the user's SELECT
    run as an account that can only read."""
    api = instance.api()
    api.create_database([db('t_rows')])
    api.create_user([user('counter', 'counter-pw-1', ['t_rows'])])
    connection = login(instance, 'counter', 'counter-pw-1', 't_rows')
    try:
        with connection.cursor() as cursor:
            cursor.execute('CREATE TABLE things (id int)')
            cursor.execute('CREATE TABLE empty_one (id int)')
            cursor.execute('INSERT INTO things VALUES (1), (2), (3)')
    finally:
        connection.close()
    prefix = 't_rows.public.' if instance.manager == 'postgresql' \
        else 't_rows.'
    checks = api.get_diagnostics(checks={
        'row_counts': 'exact', 'query': 'SELECT * FROM things',
        'database': 't_rows'})['checks']
    assert {k: v for k, v in checks['row_counts']['tables'].items()
            if k.startswith(prefix)} == {prefix + 'things': 3,
                                          prefix + 'empty_one': 0}
    assert checks['query'] == {'rows': 3}
    estimated = api.get_diagnostics(checks={
        'row_counts': 'estimated'})['checks']['row_counts']
    assert estimated['method'] == 'estimated'
    assert prefix + 'things' in estimated['tables']
    # A query that fails, and one that would write, report an error.
    failed = api.get_diagnostics(checks={
        'query': 'SELECT * FROM nothing_here', 'database': 't_rows'})
    assert 'error' in failed['checks']['query']
    written = api.get_diagnostics(checks={
        'query': 'WITH x AS (SELECT 1) DELETE FROM things',
        'database': 't_rows'})['checks']['query']
    assert 'error' in written
    api.delete_database(db('t_rows'))
    api.delete_user(user('counter', 'counter-pw-1'))
