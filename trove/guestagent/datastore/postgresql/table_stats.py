"""Row counts, data size and a user's check query on PostgreSQL.

What a backup records (the rows of every user table: every database but
the templates and ``ignore_dbs``, every schema but the system ones) and
what a restore drill reads back from the restored sandbox; the data size
(the sum of pg_database_size) a backup's percent is measured against.
The user's query runs as a throw-away role that is no superuser and may
only read data (pg_read_all_data), in a read-only transaction.
"""

import contextlib

from oslo_log import log as logging

from trove.guestagent import operating_system
from trove.guestagent.datastore.postgresql import sql
from trove.guestagent.datastore.postgresql import wire

LOG = logging.getLogger(__name__)

CHECK_USER = 'os_drill_check'
QUERY_TIMEOUT_MS = 60000
# Tables never analysed have no estimate (reltuples -1): their size over
# this many bytes a row stands in for it.
BYTES_PER_ROW_GUESS = 100
USER_TABLES = (
    "SELECT n.nspname, c.relname, CASE WHEN c.reltuples >= 0 THEN "
    "c.reltuples::bigint ELSE pg_relation_size(c.oid) / %d END "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', "
    "'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%' "
    "AND n.nspname NOT LIKE 'pg\\_temp%%' ORDER BY 1, 2"
    % BYTES_PER_ROW_GUESS)


def databases(admin):
    return sorted(row[0] for row in _database_rows(admin))


def _database_rows(admin):
    with admin.cursor() as cursor:
        return admin._database_rows(cursor)


def user_tables(admin):
    """[(database, schema, table, estimated rows)]."""
    tables = []
    for database in databases(admin):
        with admin.cursor(database) as cursor:
            cursor.execute(USER_TABLES)
            tables += [(database, schema, name, int(rows))
                       for schema, name, rows in cursor.fetchall()]
    return tables


def _key(database, schema, table):
    return '%s.%s.%s' % (database, schema, table)


def row_counts(admin, method, max_tables):
    tables = user_tables(admin)
    truncated = len(tables) > max_tables
    tables = tables[:max_tables]
    if method != 'exact':
        return {_key(d, s, t): rows for d, s, t, rows in tables}, truncated
    counts = {}
    for database in sorted({d for d, _s, _t, _r in tables}):
        with admin.cursor(database) as cursor:
            for d, schema, table, _rows in tables:
                if d != database:
                    continue
                cursor.execute(sql.SQL('SELECT count(*) FROM {}.{}').format(
                    sql.Identifier(schema), sql.Identifier(table)))
                counts[_key(d, schema, table)] = int(cursor.fetchone()[0])
    return counts, truncated


def estimated_total(admin):
    return sum(rows for _d, _s, _t, rows in user_tables(admin))


def data_size(admin):
    with admin.cursor() as cursor:
        cursor.execute('SELECT COALESCE(sum(pg_database_size(datname)), 0) '
                       'FROM pg_database WHERE datallowconn')
        return int(cursor.fetchone()[0])


@contextlib.contextmanager
def _check_role(admin, database):
    password = operating_system.generate_password(24)
    role = sql.Identifier(CHECK_USER)
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL('DROP ROLE IF EXISTS {}').format(role))
        cursor.execute(sql.SQL('CREATE ROLE {} LOGIN NOSUPERUSER PASSWORD {}')
                       .format(role, sql.Literal(password)))
        cursor.execute(sql.SQL('GRANT CONNECT ON DATABASE {} TO {}').format(
            sql.Identifier(database), role))
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = "
                       "'pg_read_all_data'")
        modern = cursor.fetchone() is not None
        if modern:
            cursor.execute(sql.SQL('GRANT pg_read_all_data TO {}').format(
                role))
    if not modern:
        with admin.cursor(database) as cursor:
            cursor.execute(USER_TABLES)
            for schema in sorted({row[0] for row in cursor.fetchall()}):
                cursor.execute(sql.SQL(
                    'GRANT USAGE ON SCHEMA {0} TO {1}; GRANT SELECT ON ALL '
                    'TABLES IN SCHEMA {0} TO {1}').format(
                        sql.Identifier(schema), role))
    try:
        yield password
    finally:
        with admin.cursor(database) as cursor:
            cursor.execute(sql.SQL('DROP OWNED BY {}').format(role))
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL('DROP OWNED BY {}').format(role))
            cursor.execute(sql.SQL('DROP ROLE IF EXISTS {}').format(role))


def run_query(admin, query, database=None):
    """Rows the user's SELECT returns; raises wire.Error if it fails."""
    database = database or (databases(admin) or ['postgres'])[0]
    with _check_role(admin, database) as password:
        with wire.connect(
                host=admin.socket_dir, port=admin.port, user=CHECK_USER,
                password=password, dbname=database, autocommit=False,
                connect_timeout=5,
                options='-c default_transaction_read_only=on '
                        '-c statement_timeout=%d' % QUERY_TIMEOUT_MS) \
                as connection:
            with connection.cursor() as cursor:
                cursor.execute(query)
                rows = len(cursor.fetchall()) if cursor.description else 0
            connection.rollback()
            return rows
