"""SQL administration of a MySQL-family server, over its unix socket.

Every statement binds its values (user names, hosts, passwords) as query
parameters; identifiers (database names) cannot be bound and are quoted
with backticks instead, and character sets / collations are checked
against a strict pattern. Later tasks add listing, deletion and the
other user/database operations here.
"""

import contextlib
import re

from oslo_log import log as logging
import pymysql

from trove.guestagent import errors
from trove.guestagent import models

LOG = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
_CHARSET_NAME = re.compile(r'^[A-Za-z0-9_]+$')


def quote_identifier(name):
    return '`%s`' % name.replace('`', '``')


def grant_database_pattern(name):
    """A database name as a literal in GRANT: ``_`` and ``%`` are
    wildcards there and must be escaped to mean only this database."""
    return quote_identifier(re.sub(r'([_%\\])', r'\\\1', name))


def _charset_clause(keyword, value):
    if not value:
        return ''
    if not _CHARSET_NAME.match(value):
        raise errors.GuestAgentError('Invalid %s %r.' % (keyword.lower(),
                                                         value))
    return ' %s = %s' % (keyword, value)


class MySqlAdmin:

    def __init__(self, socket_path, user, password=None):
        self.socket_path = socket_path
        self.user = user
        self.password = password

    @contextlib.contextmanager
    def cursor(self):
        connection = pymysql.connect(
            unix_socket=self.socket_path, user=self.user,
            password=self.password or '', charset='utf8mb4',
            autocommit=True, connect_timeout=CONNECT_TIMEOUT,
            read_timeout=30, write_timeout=30)
        try:
            with connection.cursor() as cursor:
                yield cursor
        finally:
            connection.close()

    def ping(self):
        try:
            with self.cursor() as cursor:
                cursor.execute('SELECT 1')
                return cursor.fetchone()[0] == 1
        except (pymysql.Error, OSError) as error:
            LOG.debug('Health query failed: %s', error)
            return False

    # Securing ----------------------------------------------------------------
    def create_admin_user(self, name, password):
        """``name``@localhost with every privilege, for the agent only."""
        with self.cursor() as cursor:
            cursor.execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
                           (name, 'localhost', password))
            cursor.execute('ALTER USER %s@%s IDENTIFIED BY %s',
                           (name, 'localhost', password))
            cursor.execute('GRANT ALL PRIVILEGES ON *.* TO %s@%s '
                           'WITH GRANT OPTION', (name, 'localhost'))

    def _drop_users(self, where, params=()):
        with self.cursor() as cursor:
            cursor.execute('SELECT User, Host FROM mysql.user WHERE ' + where,
                           params)
            for user, host in cursor.fetchall():
                LOG.info('Dropping user %r@%r', user, host)
                cursor.execute('DROP USER %s@%s', (user, host))

    def remove_anonymous_users(self):
        self._drop_users("User = ''")

    def remove_remote_root(self):
        self._drop_users("User = 'root' AND Host NOT IN "
                         "('localhost', '127.0.0.1', '::1')")

    # Databases and users -----------------------------------------------------
    def create_database(self, database):
        statement = ('CREATE DATABASE IF NOT EXISTS '
                     + quote_identifier(database.name)
                     + _charset_clause('CHARACTER SET',
                                       database.character_set)
                     + _charset_clause('COLLATE', database.collate))
        with self.cursor() as cursor:
            cursor.execute(statement)

    def create_databases(self, databases):
        for database in databases:
            self.create_database(database)

    def create_user(self, user):
        if not user.password:
            raise errors.GuestAgentError('User %s needs a password.'
                                         % user.name)
        with self.cursor() as cursor:
            cursor.execute('CREATE USER %s@%s IDENTIFIED BY %s',
                           (user.name, user.host, user.password))
        self.grant_access(user.name, user.host, user.databases)

    def create_users(self, users):
        for user in users:
            self.create_user(user)

    def grant_access(self, name, host, databases):
        with self.cursor() as cursor:
            for database in databases:
                # PyMySQL formats the statement with %: double the ones
                # of the (already quoted) database pattern.
                target = grant_database_pattern(database).replace('%', '%%')
                cursor.execute('GRANT ALL PRIVILEGES ON %s.* TO %%s@%%s'
                               % target, (name, host))

    def enable_root(self, password):
        """root@'%' with every privilege; returns it serialized."""
        with self.cursor() as cursor:
            cursor.execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
                           ('root', '%', password))
            cursor.execute('ALTER USER %s@%s IDENTIFIED BY %s',
                           ('root', '%', password))
            cursor.execute('GRANT ALL PRIVILEGES ON *.* TO %s@%s '
                           'WITH GRANT OPTION', ('root', '%'))
        return models.User('root', password, '%').serialize()
