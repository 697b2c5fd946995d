"""Row counts, data size and a user's check query on a MySQL-family server.

What a backup records (the rows of every user table) and what a restore
drill reads back from the restored sandbox to compare with it; the data
size a backup's percent is measured against. Everything is read as
os_admin over the socket; the user's query runs as a throw-away account
that may only SELECT from the user databases, inside a read-only
transaction, so it cannot change the sandbox nor read the host's files.
"""

import contextlib
import os
import re

from oslo_log import log as logging
from trove.guestagent.datastore.mysql_common.driver import pymysql

from trove.guestagent import operating_system
from trove.guestagent.datastore.mysql_common import admin as mysql_admin

LOG = logging.getLogger(__name__)

# Files of the data directory a backup stream does not carry: the redo
# log (copied only from the backup's own start), binary and relay logs.
NOT_BACKED_UP = re.compile(r'^(ib_logfile\d+|.*-bin\.(\d+|index)|'
                           r'.*-relay-bin\.(\d+|index)|.*\.pid|.*\.sock)$')
CHECK_USER = 'os_drill_check'
QUERY_TIMEOUT = 60


def user_tables(admin):
    """[(database, table, estimated rows)] of the user databases."""
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name, COALESCE(table_rows, 0) "
            "FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "ORDER BY table_schema, table_name")
        return [(mysql_admin._text(db), mysql_admin._text(name), int(rows))
                for db, name, rows in cursor.fetchall()
                if mysql_admin._text(db) not in admin.ignore_dbs]


def exact_counts(admin, tables):
    counts = {}
    with admin.cursor() as cursor:
        for database, table, _estimate in tables:
            cursor.execute('SELECT COUNT(*) FROM %s.%s' % (
                mysql_admin.quote_identifier(database),
                mysql_admin.quote_identifier(table)))
            counts['%s.%s' % (database, table)] = int(cursor.fetchone()[0])
    return counts


def row_counts(admin, method, max_tables):
    """{"db.table": rows} with ``method`` 'exact' or 'estimated'; and
    whether tables were left out (more than ``max_tables``)."""
    tables = user_tables(admin)
    truncated = len(tables) > max_tables
    tables = tables[:max_tables]
    if method == 'exact':
        return exact_counts(admin, tables), truncated
    return {'%s.%s' % (db, name): rows for db, name, rows in tables}, \
        truncated


def estimated_total(admin):
    return sum(rows for _db, _name, rows in user_tables(admin))


def data_size(data_dir):
    """Bytes of the data directory a full backup streams."""
    total = 0
    for root, _dirs, files in os.walk(data_dir):
        for name in files:
            if NOT_BACKED_UP.match(name):
                continue
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


@contextlib.contextmanager
def _check_account(admin):
    """A login allowed only to SELECT from the user databases."""
    password = operating_system.generate_password(24)
    account = "'%s'@'localhost'" % CHECK_USER
    with admin.cursor() as cursor:
        cursor.execute('DROP USER IF EXISTS %s' % account)
        cursor.execute('CREATE USER %s IDENTIFIED BY %%s' % account,
                       (password,))
        cursor.execute('SHOW DATABASES')
        for (name,) in cursor.fetchall():
            name = mysql_admin._text(name)
            if name not in admin.ignore_dbs:
                cursor.execute('GRANT SELECT, SHOW VIEW ON %s.* TO %s' % (
                    mysql_admin.grant_database_pattern(name), account))
    try:
        yield password
    finally:
        with admin.cursor() as cursor:
            cursor.execute('DROP USER IF EXISTS %s' % account)


def run_query(admin, query, database=None):
    """Rows the user's SELECT returns; raises pymysql.Error if it fails."""
    with _check_account(admin) as password:
        connection = pymysql.connect(
            unix_socket=admin.socket_path, user=CHECK_USER,
            password=password, database=database or None,
            charset='utf8mb4', autocommit=False,
            connect_timeout=mysql_admin.CONNECT_TIMEOUT,
            read_timeout=QUERY_TIMEOUT, ssl_disabled=True)
        try:
            with connection.cursor() as cursor:
                try:    # MariaDB's name of the statement deadline
                    cursor.execute('SET SESSION max_statement_time = %d'
                                   % QUERY_TIMEOUT)
                except pymysql.Error:
                    pass
                cursor.execute('START TRANSACTION READ ONLY')
                cursor.execute(query)
                rows = len(cursor.fetchall())
            connection.rollback()
            return rows
        finally:
            connection.close()
