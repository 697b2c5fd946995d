"""SQL administration of PostgreSQL as os_admin, over the unix socket.

Identifiers are composed with psycopg.sql.Identifier and values with
sql.Literal (DDL such as CREATE ROLE ... PASSWORD cannot take server-side
parameters); queries that can take parameters bind them. Later tasks add
listing, deletion and the other user/database operations here.
"""

import contextlib

from oslo_log import log as logging
import psycopg
from psycopg import sql

from trove.guestagent import errors
from trove.guestagent import models

LOG = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
ROOT_USER = 'root'
ROOT_ATTRIBUTES = ('SUPERUSER CREATEDB CREATEROLE INHERIT REPLICATION '
                   'BYPASSRLS LOGIN')


class PgSqlAdmin:

    def __init__(self, socket_dir, port, user, password):
        self.socket_dir = socket_dir
        self.port = port
        self.user = user
        self.password = password

    @contextlib.contextmanager
    def cursor(self, database='postgres'):
        connection = psycopg.connect(
            host=self.socket_dir, port=self.port, user=self.user,
            password=self.password or '', dbname=database, autocommit=True,
            connect_timeout=CONNECT_TIMEOUT)
        try:
            with connection.cursor() as cursor:
                yield cursor
        finally:
            connection.close()

    def ping(self):
        if not self.password:
            return False
        try:
            with self.cursor() as cursor:
                cursor.execute('SELECT 1')
                return cursor.fetchone()[0] == 1
        except (psycopg.Error, OSError) as error:
            LOG.debug('Health query failed: %s', error)
            return False

    def _role_exists(self, cursor, name):
        cursor.execute('SELECT 1 FROM pg_roles WHERE rolname = %s', (name,))
        return cursor.fetchone() is not None

    def _set_role(self, name, password, attributes):
        with self.cursor() as cursor:
            verb = 'ALTER' if self._role_exists(cursor, name) else 'CREATE'
            cursor.execute(sql.SQL('{} ROLE {} WITH {} PASSWORD {}').format(
                sql.SQL(verb), sql.Identifier(name), sql.SQL(attributes),
                sql.Literal(password)))

    def ensure_superuser(self, name, password):
        self._set_role(name, password, 'SUPERUSER LOGIN')

    # Databases and users -----------------------------------------------------
    def create_database(self, database):
        statement = sql.SQL('CREATE DATABASE {}').format(
            sql.Identifier(database.name))
        if database.character_set or database.collate:
            # Another encoding or collation needs the pristine template.
            statement += sql.SQL(' TEMPLATE template0')
        if database.character_set:
            statement += sql.SQL(' ENCODING {}').format(
                sql.Literal(database.character_set))
        if database.collate:
            statement += sql.SQL(' LC_COLLATE {}').format(
                sql.Literal(database.collate))
        with self.cursor() as cursor:
            cursor.execute('SELECT 1 FROM pg_database WHERE datname = %s',
                           (database.name,))
            if cursor.fetchone() is not None:
                LOG.info('Database %s exists already', database.name)
                return
            cursor.execute(statement)

    def create_databases(self, databases):
        for database in databases:
            self.create_database(database)

    def create_user(self, user):
        if not user.password:
            raise errors.GuestAgentError('User %s needs a password.'
                                         % user.name)
        with self.cursor() as cursor:
            cursor.execute(sql.SQL('CREATE ROLE {} WITH LOGIN PASSWORD {}')
                           .format(sql.Identifier(user.name),
                                   sql.Literal(user.password)))
        self.grant_access(user.name, user.host, user.databases)

    def create_users(self, users):
        for user in users:
            self.create_user(user)

    def grant_access(self, name, host, databases):
        """Every privilege on each database and its public schema (host
        is meaningless to PostgreSQL and ignored)."""
        for database in databases:
            with self.cursor() as cursor:
                cursor.execute(sql.SQL('GRANT ALL PRIVILEGES ON DATABASE {} '
                                       'TO {}').format(
                    sql.Identifier(database), sql.Identifier(name)))
            with self.cursor(database) as cursor:
                cursor.execute(sql.SQL('GRANT USAGE, CREATE ON SCHEMA public '
                                       'TO {}').format(sql.Identifier(name)))

    def enable_root(self, password):
        """The superuser root; returns it serialized."""
        self._set_role(ROOT_USER, password, ROOT_ATTRIBUTES)
        return models.User(ROOT_USER, password, '%').serialize()
