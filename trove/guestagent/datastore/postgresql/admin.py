"""SQL administration of PostgreSQL as os_admin, over the unix socket.

Statements go through the agent's own client (``wire``). Identifiers are
composed with sql.Identifier and values with sql.Literal (DDL such as
CREATE ROLE ... PASSWORD cannot take server-side parameters); queries
that can take parameters bind them.

Semantics (upstream's, except where noted):

* users are the roles that can log in, minus ``ignore_users`` and the
  ``pg_`` roles; the host means nothing to PostgreSQL and is shown as
  "%". Databases exclude templates and ``ignore_dbs``.
* every database created here has CONNECT revoked from PUBLIC, so only
  the users granted access can connect to it; access is ``ALL`` on the
  database plus USAGE and CREATE on its public schema. A user's
  databases are those whose ACL grants it CONNECT explicitly.
* deleting a user first hands what it owns to os_admin and drops its
  privileges in every database (REASSIGN OWNED / DROP OWNED), since
  PostgreSQL refuses to drop a role that still holds any; its tables
  stay, as in MySQL.
* a database is dropped even with clients connected (WITH (FORCE)).
* renaming keeps the password: passwords are SCRAM (password_encryption
  in the template), which unlike MD5 does not salt with the name.
* root is the role ``root`` (superuser, login); disabling it sets
  NOLOGIN and a new random password (it may own objects, so it is kept).
"""

import contextlib

from oslo_log import log as logging
from trove.common import exception
from trove.guestagent.datastore.postgresql import sql
from trove.guestagent.datastore.postgresql import wire
from trove.guestagent import models

LOG = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
# Roles replicas connect with (trove.guestagent.replication.base).
REPLICATION_USER_PREFIX = 'trove_repl_'
ROOT_USER = 'root'
ROOT_ATTRIBUTES = ('SUPERUSER CREATEDB CREATEROLE INHERIT REPLICATION '
                   'BYPASSRLS LOGIN')
ANY_HOST = '%'
# SQLSTATE classes that mean the server cannot serve anyone right now:
# connection exceptions, invalid authorization (os_admin refused),
# insufficient resources, operator intervention (shutting down), system
# errors. Every other class is the server refusing this request.
_UNAVAILABLE_CLASSES = ('08', '28', '53', '57', '58')


class PgSqlAdmin:

    def __init__(self, socket_dir, port, user, password, ignore_users=(),
                 ignore_dbs=()):
        self.socket_dir = socket_dir
        self.port = port
        self.user = user
        self.password = password
        self.ignore_users = frozenset(ignore_users)
        self.ignore_dbs = frozenset(ignore_dbs)

    @contextlib.contextmanager
    def cursor(self, database='postgres'):
        # synchronous_commit = local: the agent's own changes (accounts,
        # slots for replicas about to connect) never wait for a standby's
        # acknowledgement, which in sync mode could be the one they are for.
        connection = wire.connect(
            host=self.socket_dir, port=self.port, user=self.user,
            password=self.password or '', dbname=database, autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            options='-c synchronous_commit=local')
        try:
            with connection.cursor() as cursor:
                yield cursor
        finally:
            connection.close()

    @staticmethod
    @contextlib.contextmanager
    def engine_errors():
        """Engine errors as the API's: 422 when the server is not there,
        400 with the server's words when it refuses a statement."""
        try:
            yield
        except wire.Error as error:
            state = error.sqlstate or ''
            text = (error.diag.message_primary if error.diag and
                    error.diag.message_primary else str(error)).strip()
            if not state or state.startswith(_UNAVAILABLE_CLASSES):
                LOG.warning('PostgreSQL unavailable: %s', error)
                raise exception.UnprocessableEntity(
                    'The database engine is not available: %s'
                    % text) from error
            LOG.info('PostgreSQL refused a request (%s): %s', state, error)
            raise exception.BadRequest(
                'The database engine refused the request: %s'
                % text) from error
        except OSError as error:
            raise exception.UnprocessableEntity(
                'The database engine is not available: %s'
                % error) from error

    def ping(self):
        if not self.password:
            return False
        try:
            with self.cursor() as cursor:
                cursor.execute('SELECT 1')
                return cursor.fetchone()[0] == 1
        except (wire.Error, OSError) as error:
            LOG.debug('Health query failed: %s', error)
            return False

    @staticmethod
    def _role_exists(cursor, name):
        cursor.execute('SELECT 1 FROM pg_roles WHERE rolname = %s', (name,))
        return cursor.fetchone() is not None

    def _set_role(self, name, password, attributes):
        with self.cursor() as cursor:
            verb = 'ALTER' if self._role_exists(cursor, name) else 'CREATE'
            cursor.execute(sql.SQL('{} ROLE {} WITH {} PASSWORD {}').format(
                sql.SQL(verb), sql.Identifier(name), sql.SQL(attributes),
                sql.Literal(password)))

    def ensure_replication_role(self, name, password):
        """A role that may stream WAL and nothing else."""
        self._set_role(name, password, 'LOGIN REPLICATION NOSUPERUSER')

    def ensure_superuser(self, name, password):
        self._set_role(name, password, 'SUPERUSER LOGIN')

    # Databases ---------------------------------------------------------------
    def _database_rows(self, cursor):
        cursor.execute('SELECT datname, pg_encoding_to_char(encoding), '
                       'datcollate FROM pg_database WHERE NOT datistemplate')
        return [row for row in cursor.fetchall()
                if row[0] not in self.ignore_dbs]

    def _require_databases(self, cursor, names):
        existing = {row[0] for row in self._database_rows(cursor)}
        for name in names:
            if name not in existing:
                raise exception.DatabaseNotFound(uuid=name)

    def list_databases_all(self):
        with self.cursor() as cursor:
            rows = self._database_rows(cursor)
        return [models.Database(*row).serialize() for row in rows]

    def create_database(self, database):
        name = sql.Identifier(database.name)
        statement = sql.SQL('CREATE DATABASE {}').format(name)
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
            # Only the users granted access may connect.
            cursor.execute(sql.SQL('REVOKE CONNECT ON DATABASE {} FROM '
                                   'PUBLIC').format(name))

    def create_databases(self, databases):
        for database in databases:
            self.create_database(database)

    def delete_database(self, name):
        with self.cursor() as cursor:
            self._require_databases(cursor, [name])
            cursor.execute(sql.SQL('DROP DATABASE {} WITH (FORCE)').format(
                sql.Identifier(name)))

    # Users -------------------------------------------------------------------
    @staticmethod
    def user_marker(serialized):
        return serialized['_name']

    def _visible(self, name):
        return (bool(name) and name not in self.ignore_users
                and not name.startswith(('pg_', REPLICATION_USER_PREFIX)))

    def _user_names(self, cursor, name=None):
        if name is None:
            cursor.execute('SELECT rolname FROM pg_roles WHERE rolcanlogin')
        else:
            cursor.execute('SELECT rolname FROM pg_roles WHERE rolcanlogin '
                           'AND rolname = %s', (name,))
        return [row[0] for row in cursor.fetchall() if self._visible(row[0])]

    def _access(self, cursor, name=None):
        """{user: sorted database names it may connect to (explicitly)}."""
        query = ('SELECT r.rolname, d.datname FROM pg_database d '
                 'CROSS JOIN LATERAL aclexplode(d.datacl) a '
                 'JOIN pg_roles r ON r.oid = a.grantee '
                 "WHERE a.privilege_type = 'CONNECT' AND NOT d.datistemplate")
        params = ()
        if name is not None:
            query += ' AND r.rolname = %s'
            params = (name,)
        cursor.execute(query, params)
        access = {}
        for user, database in cursor.fetchall():
            if database not in self.ignore_dbs:
                access.setdefault(user, set()).add(database)
        return {user: sorted(dbs) for user, dbs in access.items()}

    @staticmethod
    def _serialize_user(name, databases):
        return models.User(name, None, ANY_HOST,
                           tuple(databases)).serialize()

    def _require_user(self, cursor, name):
        if not self._user_names(cursor, name):
            raise exception.UserNotFound(uuid=name)

    def list_users_all(self):
        with self.cursor() as cursor:
            names = self._user_names(cursor)
            access = self._access(cursor)
        return [self._serialize_user(name, access.get(name, []))
                for name in names]

    def get_user(self, name, host=None):
        if not self._visible(name):
            return None
        with self.cursor() as cursor:
            if not self._user_names(cursor, name):
                return None
            databases = self._access(cursor, name).get(name, [])
        return self._serialize_user(name, databases)

    def create_user(self, user):
        self.create_users([user])

    def create_users(self, users):
        with self.cursor() as cursor:
            # Check everything first: a refused request changes nothing.
            for user in users:
                if not user.password:
                    raise exception.BadRequest('User %s needs a password.'
                                               % user.name)
                if self._role_exists(cursor, user.name):
                    raise exception.UserAlreadyExists(name=user.name)
                self._require_databases(cursor, user.databases)
            for user in users:
                cursor.execute(
                    sql.SQL('CREATE ROLE {} WITH LOGIN PASSWORD {}').format(
                        sql.Identifier(user.name), sql.Literal(user.password)))
        for user in users:
            self._grant(user.name, user.databases)

    def _connectable_databases(self, cursor):
        cursor.execute('SELECT datname FROM pg_database '
                       'WHERE datallowconn AND NOT datistemplate')
        return [row[0] for row in cursor.fetchall()]

    def delete_user(self, name, host=None):
        role = sql.Identifier(name)
        with self.cursor() as cursor:
            self._require_user(cursor, name)
            databases = self._connectable_databases(cursor)
        for database in databases:
            with self.cursor(database) as cursor:
                cursor.execute(sql.SQL('REASSIGN OWNED BY {} TO '
                                       'CURRENT_USER').format(role))
                cursor.execute(sql.SQL('DROP OWNED BY {}').format(role))
        with self.cursor() as cursor:
            cursor.execute(sql.SQL('DROP ROLE {}').format(role))

    def change_password(self, name, host, password):
        with self.cursor() as cursor:
            self._require_user(cursor, name)
            self._set_password(cursor, name, password)

    @staticmethod
    def _set_password(cursor, name, password):
        cursor.execute(sql.SQL('ALTER ROLE {} WITH PASSWORD {}').format(
            sql.Identifier(name), sql.Literal(password)))

    def update_attributes(self, name, host, new_name=None, new_host=None,
                          password=None):
        """Rename and/or set the password; a new host is ignored."""
        with self.cursor() as cursor:
            self._require_user(cursor, name)
            if new_name and new_name != name:
                if self._role_exists(cursor, new_name):
                    raise exception.UserAlreadyExists(name=new_name)
                cursor.execute(sql.SQL('ALTER ROLE {} RENAME TO {}').format(
                    sql.Identifier(name), sql.Identifier(new_name)))
                name = new_name
            if password:
                self._set_password(cursor, name, password)

    # Access ------------------------------------------------------------------
    def list_access(self, name, host=None):
        with self.cursor() as cursor:
            self._require_user(cursor, name)
            databases = self._access(cursor, name).get(name, [])
        return [models.Database(db).serialize() for db in databases]

    def _grant(self, name, databases):
        role = sql.Identifier(name)
        for database in databases:
            with self.cursor() as cursor:
                cursor.execute(sql.SQL('GRANT ALL PRIVILEGES ON DATABASE {} '
                                       'TO {}').format(
                    sql.Identifier(database), role))
            with self.cursor(database) as cursor:
                cursor.execute(sql.SQL('GRANT USAGE, CREATE ON SCHEMA public '
                                       'TO {}').format(role))

    def grant_access(self, name, host, databases):
        """Every privilege on each database and its public schema (host
        is meaningless to PostgreSQL and ignored)."""
        with self.cursor() as cursor:
            self._require_user(cursor, name)
            self._require_databases(cursor, databases)
        self._grant(name, databases)

    def revoke_access(self, name, host, database):
        role = sql.Identifier(name)
        target = sql.Identifier(database)
        with self.cursor() as cursor:
            self._require_user(cursor, name)
            if database not in self._access(cursor, name).get(name, []):
                raise exception.DatabaseNotFound(uuid=database)
            cursor.execute(sql.SQL('REVOKE ALL PRIVILEGES ON DATABASE {} '
                                   'FROM {}').format(target, role))
            # A database made outside this API may still let PUBLIC in.
            cursor.execute(sql.SQL('REVOKE CONNECT ON DATABASE {} FROM '
                                   'PUBLIC').format(target))
        with self.cursor(database) as cursor:
            cursor.execute(sql.SQL('REVOKE ALL PRIVILEGES ON SCHEMA public '
                                   'FROM {}').format(role))

    # Root --------------------------------------------------------------------
    def enable_root(self, password):
        """The superuser root; returns it serialized."""
        self._set_role(ROOT_USER, password, ROOT_ATTRIBUTES)
        return models.User(ROOT_USER, password, ANY_HOST).serialize()

    def disable_root(self, password):
        """root can no longer log in: NOLOGIN and a password nobody
        knows."""
        with self.cursor() as cursor:
            if self._role_exists(cursor, ROOT_USER):
                cursor.execute(sql.SQL('ALTER ROLE {} WITH NOLOGIN PASSWORD '
                                       '{}').format(sql.Identifier(ROOT_USER),
                                                    sql.Literal(password)))

    def is_root_enabled(self):
        with self.cursor() as cursor:
            cursor.execute('SELECT rolcanlogin FROM pg_roles '
                           'WHERE rolname = %s', (ROOT_USER,))
            row = cursor.fetchone()
        return bool(row and row[0])
