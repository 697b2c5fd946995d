"""The agent's own PostgreSQL client against a real PostgreSQL cluster.

A private cluster (its own socket directory and loopback port) whose
pg_hba asks each test role for another login method: trust, cleartext
password, MD5 and SCRAM-SHA-256. psycopg (the test's own driver) makes
the roles and checks what the agent's client wrote.
"""

import decimal
import os
import string

import hypothesis
from hypothesis import strategies as st
import psycopg
import pytest

from tests.helpers import private_mariadb
from trove.common import engines
from trove.guestagent.datastore.postgresql import sql
from trove.guestagent.datastore.postgresql import wire

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(engines.find_postgresql() is None,
                       reason='PostgreSQL is not installed'),
]

PASSWORDS = {'plainuser': 'plain-Secret-1', 'md5user': 'md5-Secret-2',
             'scramuser': "scr'am\\Secret-3"}
HBA = '''\
local all postgres trust
host all postgres 127.0.0.1/32 trust
local all plainuser password
local all md5user md5
local all scramuser scram-sha-256
host all scramuser 127.0.0.1/32 scram-sha-256
'''


@pytest.fixture(scope='module')
def cluster():
    server = private_mariadb.PrivatePostgreSQL()
    try:
        with open(os.path.join(server.datadir, 'pg_hba.conf'), 'w') as hba:
            hba.write(HBA)
        server.start()
        with server_admin(server) as admin:
            for name, password in PASSWORDS.items():
                admin.execute("SET password_encryption = %s" % (
                    "'md5'" if name == 'md5user' else "'scram-sha-256'"))
                admin.execute(psycopg.sql.SQL(
                    'CREATE ROLE {} LOGIN PASSWORD {}').format(
                        psycopg.sql.Identifier(name),
                        psycopg.sql.Literal(password)))
            admin.execute('GRANT ALL ON SCHEMA public TO scramuser')
        yield server
    finally:
        server.remove()


def server_admin(server):
    return psycopg.connect(host='127.0.0.1', port=server.port,
                           user='postgres', dbname='postgres',
                           autocommit=True)


def connect(server, user='postgres', password='', **kwargs):
    return wire.connect(server.dir, server.port, user, password,
                        'postgres', connect_timeout=5, **kwargs)


def scalar(connection, query, params=None):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


@pytest.mark.parametrize('user', ['postgres'] + sorted(PASSWORDS))
def test_each_login_method(cluster, user):
    with connect(cluster, user, PASSWORDS.get(user, '')) as connection:
        assert scalar(connection, 'SELECT current_user') == user
        assert connection.parameters['server_encoding'] == 'UTF8'


def test_scram_over_tcp(cluster):
    with wire.connect('127.0.0.1', cluster.port, 'scramuser',
                      PASSWORDS['scramuser'], 'postgres') as connection:
        assert scalar(connection, 'SELECT 41 + 1') == 42


@pytest.mark.parametrize('user', sorted(PASSWORDS))
def test_a_wrong_password_is_refused(cluster, user):
    with pytest.raises(wire.OperationalError) as raised:
        connect(cluster, user, 'wrong')
    assert raised.value.sqlstate == '28P01'
    assert 'password authentication failed' in str(raised.value)


def test_no_server_is_an_operational_error(tmp_path):
    with pytest.raises(wire.OperationalError, match='could not connect'):
        wire.connect(str(tmp_path), 5432, 'postgres')


def test_types_come_back_as_python_values(cluster):
    with connect(cluster) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT true AS yes, false AS no, 7::smallint, 2147483648::bigint,"
                       " 12::oid, 1.5::float8, 10.25::numeric, NULL, 'x',"
                       " '0/3000060'::pg_lsn")
        assert cursor.fetchone() == (True, False, 7, 2147483648, 12, 1.5,
                                     decimal.Decimal('10.25'),
                                     None, 'x', '0/3000060')
        assert [column[0] for column in cursor.description][:2] == [
            'yes', 'no']
        cursor.execute("SET application_name = 'trove-test'")
        assert cursor.description is None
        assert cursor.fetchone() is None


TEXT = st.text(alphabet=st.characters(blacklist_categories=('Cs',),
                                      blacklist_characters='\0'),
               max_size=40)


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(value=TEXT)
def test_parameters_and_literals_round_trip(cluster, value):
    with connect(cluster) as connection:
        # Sent apart from the statement (Bind) ...
        assert scalar(connection, 'SELECT %s::text', (value,)) == value
        # ... and quoted into it, as DDL needs.
        assert scalar(connection, sql.SQL('SELECT {}::text').format(
            sql.Literal(value))) == value


@hypothesis.settings(max_examples=30, deadline=None)
@hypothesis.given(name=st.text(alphabet=string.printable.replace('\0', ''),
                               min_size=1, max_size=30))
def test_identifiers_are_quoted(cluster, name):
    with connect(cluster) as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL('CREATE TEMP TABLE {} (v int)').format(
            sql.Identifier(name)))
        cursor.execute("SELECT relname FROM pg_class WHERE relname = %s "
                       "AND relpersistence = 't'", (name[:63],))
        assert cursor.fetchone() == (name[:63],)


def test_parameters_of_every_kind(cluster):
    with connect(cluster) as connection, connection.cursor() as cursor:
        cursor.execute('SELECT %s::int + 1, %s::boolean, %s::text IS NULL, '
                       "'100%%'", (41, True, None))
        assert cursor.fetchone() == (42, True, True, '100%')


def test_a_server_error_keeps_the_connection_usable(cluster):
    with connect(cluster) as connection:
        with pytest.raises(wire.Error) as raised:
            scalar(connection, 'SELEC 1')
        assert raised.value.sqlstate == '42601'
        assert raised.value.diag.message_primary.startswith('syntax error')
        with pytest.raises(wire.Error) as raised:
            scalar(connection, 'SELECT 1 / %s', (0,))
        assert raised.value.sqlstate == '22012'
        assert scalar(connection, 'SELECT 1') == 1


def test_transactions_without_autocommit(cluster):
    with connect(cluster, 'scramuser', PASSWORDS['scramuser']) as setup:
        setup.execute('CREATE TABLE IF NOT EXISTS ledger (v int)')
        setup.execute('TRUNCATE ledger')
    with connect(cluster, 'scramuser', PASSWORDS['scramuser'],
                 autocommit=False) as connection:
        connection.execute('INSERT INTO ledger VALUES (1)')
        connection.rollback()
        connection.execute('INSERT INTO ledger VALUES (2)')
    # The block ended without an error: its transaction was committed.
    with server_admin(cluster) as admin:
        assert admin.execute('SELECT array_agg(v) FROM ledger').fetchone() \
            == ([2],)


def test_options_reach_the_server(cluster):
    with connect(cluster, autocommit=False,
                 options='-c default_transaction_read_only=on '
                         '-c statement_timeout=1234') as connection:
        assert scalar(connection, 'SHOW statement_timeout') == '1234ms'
        with pytest.raises(wire.Error) as raised:
            scalar(connection, 'CREATE TABLE nope (v int)')
        assert raised.value.sqlstate == '25006'


def test_nul_is_refused_before_anything_is_sent():
    with pytest.raises(ValueError):
        sql.Literal('a\0b').as_string()
    with pytest.raises(ValueError):
        sql.Identifier('a\0b').as_string()


def test_composition():
    statement = sql.SQL('CREATE DATABASE {}').format(sql.Identifier('a"b'))
    statement += sql.SQL(' ENCODING {}').format(sql.Literal("it's"))
    assert statement.as_string() == 'CREATE DATABASE "a""b" ENCODING \'it\'\'s\''
    assert sql.Literal(None).as_string() == 'NULL'
    assert sql.Literal(5).as_string() == '5'
    assert sql.Literal('a\\b').as_string() == " E'a\\\\b'"
    with pytest.raises(TypeError):
        sql.SQL('{}').format('not composable')
