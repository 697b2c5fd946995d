"""SQL administration of a MySQL-family server, over its unix socket.

Every statement binds its values (user names, hosts, passwords) as query
parameters; identifiers (database names) cannot be bound and are quoted
with backticks instead, and character sets / collations are checked
against a strict pattern.

Semantics (upstream's, except where noted):

* users are the rows of mysql.user whose host is not ``localhost`` and
  whose name is not in ``ignore_users``; databases exclude
  ``ignore_dbs``. A user's databases are those it holds schema
  privileges on (rows of mysql.db).
* access is ``ALL PRIVILEGES`` on ```db`.*``; deleting a database also
  revokes every grant on it, so a database created again later with the
  same name is not open to its former users (upstream leaves the grants).
* a database without a character set gets the server's default
  (utf8mb4 from the configuration template), not upstream's utf8mb3.
* root is ``root@'%'`` with every privilege and the grant option;
  disabling root gives every remote root account a new random password
  (as upstream) and also locks it, so root can no longer log in from the
  network at all while what it defined keeps working.
"""

import contextlib
import re

from oslo_log import log as logging
from trove.guestagent.datastore.mysql_common.driver import pymysql

from trove.common import exception
from trove.guestagent import models

LOG = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
# Accounts replicas connect with (trove.guestagent.replication.base).
REPLICATION_USER_PREFIX = 'trove_repl_'
ROOT_USER = 'root'
LOCAL_HOSTS = ('localhost', '127.0.0.1', '::1')
_CHARSET_NAME = re.compile(r'^[A-Za-z0-9_]+$')
# Server errors that say the engine cannot serve anyone right now (too
# many connections, os_admin refused, shutting down); every other server
# error is the engine refusing this request.
_UNAVAILABLE_CODES = frozenset([1040, 1045, 1053, 1077, 1152, 1158, 1159,
                                1160, 1161, 1927])
# Codes from 2000 up are the client's: no connection to the server.
_CLIENT_ERROR_MIN = 2000


def quote_identifier(name):
    return '`%s`' % name.replace('`', '``')


def grant_pattern(name):
    """A database name as stored in mysql.db by our GRANTs: ``_`` and
    ``%`` are wildcards there and are escaped to mean only this name."""
    return re.sub(r'([_%\\])', r'\\\1', name)


def grant_database_pattern(name):
    return quote_identifier(grant_pattern(name))


def database_of_pattern(pattern):
    """The database name a mysql.db pattern stands for."""
    return re.sub(r'\\([_%\\])', r'\1', pattern)


def _text(value):
    return value.decode('utf-8') if isinstance(value, bytes) else value


def _charset_clause(keyword, value):
    if not value:
        return ''
    if not _CHARSET_NAME.match(value):
        raise exception.BadRequest('Invalid %s "%s".' % (keyword.lower(),
                                                         value))
    return ' %s = %s' % (keyword, value)


def _with_params(statement):
    """A statement holding quoted identifiers, ready for PyMySQL's
    %-formatting of bound parameters: its own percent signs doubled,
    ``{}`` marking the parameters."""
    return statement.replace('%', '%%').replace('{}', '%s')


class MySqlAdmin:

    def __init__(self, socket_path, user, password=None, ignore_users=(),
                 ignore_dbs=(), client_subject=None):
        self.socket_path = socket_path
        self.user = user
        self.password = password
        self.ignore_users = frozenset(ignore_users)
        self.ignore_dbs = frozenset(ignore_dbs)
        # Mutual TLS (doc/tls.md): the subject a user's client
        # certificate must have, '%s' standing for the user name; None:
        # no certificate asked.
        self.client_subject = client_subject

    def _require_certificate(self, cursor, name, host):
        """The account's login needs the client certificate of its name
        (mutual TLS), or none."""
        if self.client_subject:
            cursor.execute('ALTER USER %s@%s REQUIRE SUBJECT %s',
                           (name, host, self.client_subject % name))
        else:
            cursor.execute('ALTER USER %s@%s REQUIRE NONE', (name, host))

    def require_client_certificates(self):
        """Every user account and remote root follows the current
        ``client_subject`` (a change of TLS mode)."""
        with self.cursor() as cursor:
            accounts = set(self._user_rows(cursor))
            accounts.update(self._remote_root_accounts(cursor))
            for name, host in sorted(accounts):
                self._require_certificate(cursor, name, host)

    @contextlib.contextmanager
    def cursor(self):
        # ssl_disabled: over the socket TLS adds nothing (the server
        # counts socket logins as secure), and PyMySQL would otherwise
        # build a TLS context, reading the system's CA certificates, for
        # every connection: most of an agent's CPU while its engine
        # starts (polled every state_change_poll_time).
        connection = pymysql.connect(
            unix_socket=self.socket_path, user=self.user,
            password=self.password or '', charset='utf8mb4',
            autocommit=True, connect_timeout=CONNECT_TIMEOUT,
            read_timeout=30, write_timeout=30, ssl_disabled=True)
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
        except pymysql.Error as error:
            code = error.args[0] if error.args and isinstance(
                error.args[0], int) else None
            text = error.args[1] if len(error.args) > 1 else str(error)
            if code is None or code >= _CLIENT_ERROR_MIN or \
                    code in _UNAVAILABLE_CODES:
                LOG.warning('MySQL server unavailable: %s', error)
                raise exception.UnprocessableEntity(
                    'The database engine is not available: %s'
                    % text) from error
            LOG.info('MySQL server refused a request: %s', error)
            raise exception.BadRequest(
                'The database engine refused the request: %s'
                % text) from error
        except OSError as error:
            raise exception.UnprocessableEntity(
                'The database engine is not available: %s'
                % error) from error

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
        self._drop_users('User = %s AND Host NOT IN (%s, %s, %s)',
                         (ROOT_USER,) + LOCAL_HOSTS)

    # Databases ---------------------------------------------------------------
    def _database_rows(self, cursor):
        cursor.execute('SELECT schema_name, default_character_set_name, '
                       'default_collation_name FROM information_schema.'
                       'schemata')
        return [(_text(name), _text(charset), _text(collation))
                for name, charset, collation in cursor.fetchall()
                if _text(name) not in self.ignore_dbs]

    def _database_names(self, cursor):
        return {name for name, _charset, _collation
                in self._database_rows(cursor)}

    def _require_databases(self, cursor, names):
        existing = self._database_names(cursor)
        for name in names:
            if name not in existing:
                raise exception.DatabaseNotFound(uuid=name)

    def list_databases_all(self):
        with self.cursor() as cursor:
            rows = self._database_rows(cursor)
        return [models.Database(*row).serialize() for row in rows]

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

    def delete_database(self, name):
        with self.cursor() as cursor:
            self._require_databases(cursor, [name])
            for user, host, pattern in self._grants_on(cursor, name):
                self._revoke(cursor, user, host, pattern)
            cursor.execute('DROP DATABASE ' + quote_identifier(name))

    @staticmethod
    def _grants_on(cursor, name):
        cursor.execute('SELECT User, Host, Db FROM mysql.db '
                       'WHERE Db IN (%s, %s)', (grant_pattern(name), name))
        return [(_text(u), _text(h), _text(d))
                for u, h, d in cursor.fetchall()]

    # Users -------------------------------------------------------------------
    @staticmethod
    def user_marker(serialized):
        return '%s@%s' % (serialized['_name'], serialized['_host'])

    def _visible(self, name, host):
        return (name and name not in self.ignore_users
                and host != 'localhost'
                and not name.startswith(REPLICATION_USER_PREFIX))

    def _user_rows(self, cursor, name=None, host=None):
        if name is None:
            cursor.execute('SELECT User, Host FROM mysql.user')
        else:
            cursor.execute('SELECT User, Host FROM mysql.user '
                           'WHERE User = %s AND Host = %s', (name, host))
        return [(_text(u), _text(h)) for u, h in cursor.fetchall()
                if self._visible(_text(u), _text(h))]

    def _user_databases(self, cursor, name, host):
        cursor.execute('SELECT Db FROM mysql.db WHERE User = %s AND '
                       'Host = %s', (name, host))
        names = {database_of_pattern(_text(row[0]))
                 for row in cursor.fetchall()}
        return sorted(names - self.ignore_dbs)

    def _serialize_user(self, cursor, name, host):
        return models.User(name, None, host, tuple(
            self._user_databases(cursor, name, host))).serialize()

    def _require_user(self, cursor, name, host):
        if not self._user_rows(cursor, name, host):
            raise exception.UserNotFound(uuid='%s@%s' % (name, host))

    def list_users_all(self):
        with self.cursor() as cursor:
            return [self._serialize_user(cursor, name, host)
                    for name, host in self._user_rows(cursor)]

    def get_user(self, name, host):
        if not self._visible(name, host):
            return None
        with self.cursor() as cursor:
            if not self._user_rows(cursor, name, host):
                return None
            return self._serialize_user(cursor, name, host)

    def create_user(self, user):
        self.create_users([user])

    def create_users(self, users):
        with self.cursor() as cursor:
            # Check everything first: a refused request changes nothing.
            for user in users:
                if not user.password:
                    raise exception.BadRequest('User %s needs a password.'
                                               % user.name)
                if self._user_rows(cursor, user.name, user.host):
                    raise exception.UserAlreadyExists(
                        name='%s@%s' % (user.name, user.host))
                self._require_databases(cursor, user.databases)
            for user in users:
                cursor.execute('CREATE USER %s@%s IDENTIFIED BY %s',
                               (user.name, user.host, user.password))
                if self.client_subject:
                    self._require_certificate(cursor, user.name, user.host)
                self._grant(cursor, user.name, user.host, user.databases)

    def delete_user(self, name, host):
        with self.cursor() as cursor:
            self._require_user(cursor, name, host)
            cursor.execute('DROP USER %s@%s', (name, host))

    def change_password(self, name, host, password):
        with self.cursor() as cursor:
            self._require_user(cursor, name, host)
            cursor.execute('ALTER USER %s@%s IDENTIFIED BY %s',
                           (name, host, password))

    def update_attributes(self, name, host, new_name=None, new_host=None,
                          password=None):
        """Rename and/or re-host (RENAME USER keeps the privileges), then
        set the password if one is given."""
        target = (new_name or name, new_host or host)
        with self.cursor() as cursor:
            self._require_user(cursor, name, host)
            if target != (name, host):
                if self._user_rows(cursor, *target):
                    raise exception.UserAlreadyExists(name='%s@%s' % target)
                cursor.execute('RENAME USER %s@%s TO %s@%s',
                               (name, host) + target)
                if self.client_subject:
                    # The certificate names the account's new name.
                    self._require_certificate(cursor, *target)
            if password:
                cursor.execute('ALTER USER %s@%s IDENTIFIED BY %s',
                               target + (password,))

    # Access ------------------------------------------------------------------
    def list_access(self, name, host):
        with self.cursor() as cursor:
            self._require_user(cursor, name, host)
            return [models.Database(db).serialize()
                    for db in self._user_databases(cursor, name, host)]

    @staticmethod
    def _grant(cursor, name, host, databases):
        for database in databases:
            cursor.execute(_with_params(
                'GRANT ALL PRIVILEGES ON %s.* TO {}@{}'
                % grant_database_pattern(database)), (name, host))

    @staticmethod
    def _revoke(cursor, name, host, pattern):
        cursor.execute(_with_params(
            'REVOKE ALL PRIVILEGES ON %s.* FROM {}@{}'
            % quote_identifier(pattern)), (name, host))

    def grant_access(self, name, host, databases):
        with self.cursor() as cursor:
            self._require_user(cursor, name, host)
            self._require_databases(cursor, databases)
            self._grant(cursor, name, host, databases)

    def revoke_access(self, name, host, database):
        with self.cursor() as cursor:
            self._require_user(cursor, name, host)
            grants = [pattern for user, user_host, pattern
                      in self._grants_on(cursor, database)
                      if (user, user_host) == (name, host)]
            if not grants:
                raise exception.DatabaseNotFound(uuid=database)
            for pattern in grants:
                self._revoke(cursor, name, host, pattern)

    # Root --------------------------------------------------------------------
    def _remote_root_accounts(self, cursor):
        cursor.execute('SELECT User, Host FROM mysql.user WHERE User = %s '
                       'AND Host NOT IN (%s, %s, %s)',
                       (ROOT_USER,) + LOCAL_HOSTS)
        return [(_text(u), _text(h)) for u, h in cursor.fetchall()]

    def enable_root(self, password):
        """root@'%' with every privilege; returns it serialized."""
        with self.cursor() as cursor:
            cursor.execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
                           (ROOT_USER, '%', password))
            cursor.execute('ALTER USER %s@%s IDENTIFIED BY %s ACCOUNT UNLOCK',
                           (ROOT_USER, '%', password))
            cursor.execute('GRANT ALL PRIVILEGES ON *.* TO %s@%s '
                           'WITH GRANT OPTION', (ROOT_USER, '%'))
            if self.client_subject:
                self._require_certificate(cursor, ROOT_USER, '%')
        return models.User(ROOT_USER, password, '%').serialize()

    def disable_root(self, password):
        """No root login from the network any more: every remote root
        account gets ``password`` (which nobody keeps) and is locked.
        The accounts stay, so what they defined (views, routines) still
        runs."""
        with self.cursor() as cursor:
            for account in self._remote_root_accounts(cursor):
                cursor.execute('ALTER USER %s@%s IDENTIFIED BY %s '
                               'ACCOUNT LOCK', account + (password,))

    def is_root_enabled(self):
        """Whether some remote root account is unlocked."""
        with self.cursor() as cursor:
            for account in self._remote_root_accounts(cursor):
                cursor.execute('SHOW CREATE USER %s@%s', account)
                if 'ACCOUNT LOCK' not in _text(cursor.fetchone()[0]):
                    return True
        return False
