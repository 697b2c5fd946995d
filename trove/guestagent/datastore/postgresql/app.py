"""PostgreSQL run by the guest agent: initdb, postgres, pg_hba.

Files (all under ``guest_state_dir`` except the data):

* ``etc/postgresql.conf``  written by the agent: includes ``base.conf``
  (the template the control plane rendered) then ``conf.d/`` (user
  overrides); passed as ``config_file``.
* ``etc/pg_hba.conf``      password logins (md5 or scram) from anywhere on
  the instance address and over the local socket.
* ``postgresql/``          owned by the engine user: the unix socket.
* ``postgres.pid``         the postmaster's pid (written at spawn).
* data in ``<mount_point>/data/pgdata``.

initdb creates the superuser os_admin directly, with the password the
agent generated, so no account is ever reachable without a password.
postgres is stopped with SIGINT (fast shutdown): SIGTERM would wait for
every client to disconnect.
"""

import os
import re
import signal

from oslo_log import log as logging

from trove.common import daemon
from trove.common import engines
from trove.guestagent.datastore.postgresql import guest_logs
from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.datastore import engine
from trove.guestagent.datastore.postgresql import admin as pg_admin
from trove.guestagent.datastore.postgresql import table_stats

LOG = logging.getLogger(__name__)

# "2026-11-22 20:54:10.555 GMT [11798] FATAL:  configuration file ..."
_LOG_LINE = re.compile(r'\b(?P<level>LOG|FATAL|PANIC|ERROR|DETAIL|HINT):'
                       r'\s+(?P<text>.*)$')
_FAILURE_LEVELS = ('FATAL', 'PANIC', 'ERROR')
# LOG lines of every start and stop: never the reason of a failure.
_ROUTINE = ('starting PostgreSQL', 'listening on', 'database system',
            'received ', 'shutting down', 'aborting any active',
            'background worker', 'checkpoint')

HBA_LOCAL = """\
# Written by the guest agent (TLS: %s).
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 scram-sha-256
local   replication  all                 scram-sha-256
"""
HBA_NETWORKS = ('0.0.0.0/0', '::/0')


def hba_conf(tls_mode=None):
    """pg_hba.conf: password logins over the socket and the network;
    with TLS enforced the network ones need TLS (``hostssl``: a plain
    login finds no line and is refused), with mutual TLS also a client
    certificate whose common name is the user."""
    kind = 'host' if tls_mode in (None, 'basic') else 'hostssl'
    options = ' clientcert=verify-full' if tls_mode == 'mtls' else ''
    lines = [HBA_LOCAL % (tls_mode or 'off')]
    for database in ('all', 'replication'):
        for network in HBA_NETWORKS:
            lines.append('%-7s %-12s all   %-13s md5%s\n'
                         % (kind, database, network, options))
    return ''.join(lines)


HBA_CONF = hba_conf()


def postgres_error_lines(text):
    """FATAL/PANIC/ERROR lines of a PostgreSQL log, each with the LOG
    lines just before it (they say what was wrong, e.g. the setting)."""
    lines = []
    pending = []
    for line in text.splitlines():
        match = _LOG_LINE.search(line)
        if not match:
            continue
        level, message = match.group('level'), match.group('text').strip()
        if level in _FAILURE_LEVELS:
            lines.extend(pending)
            lines.append(message)
            pending = []
        elif level == 'LOG' and not message.startswith(_ROUTINE):
            pending = (pending + [message])[-2:]
    return lines


class PostgresEngine(engine.Engine):

    manager = 'postgresql'
    display_name = 'PostgreSQL'
    pid_name = 'postgres.pid'
    log_name = 'postgresql.log'
    runtime_name = 'postgresql'
    stop_signal = signal.SIGINT

    # Paths ------------------------------------------------------------------
    @property
    def pgdata(self):
        return os.path.join(self.data_dir, 'pgdata')

    @property
    def config_file(self):
        return os.path.join(self.config_dir, 'postgresql.conf')

    @property
    def base_config_path(self):
        return os.path.join(self.config_dir, 'base.conf')

    @property
    def overrides_path(self):
        return os.path.join(self.overrides_dir, 'overrides.conf')

    @property
    def hba_file(self):
        return os.path.join(self.config_dir, 'pg_hba.conf')

    def _installation(self):
        found = engines.find_postgresql()
        if found is None:
            raise errors.EngineError(
                'PostgreSQL is not installed on this host (no postgres in '
                '%s).' % engines.POSTGRESQL_SEARCH)
        return found

    def _binary(self, name):
        return os.path.join(self._installation().bin_dir, name)

    def check_installed(self):
        self._installation()

    # Configuration ------------------------------------------------------
    def write_base_config(self, contents):
        self.ensure_config_dirs()
        operating_system.write_file(self.base_config_path,
                                    (contents or '').rstrip() + '\n')
        operating_system.write_file(self.config_file, (
            '# Written by the guest agent. Instance settings (paths, '
            'address, port)\n# are on the server command line.\n'
            "include '%s'\ninclude_dir '%s'\ninclude_if_exists '%s'\n")
            % (self.base_config_path, self.overrides_dir,
               self.tls_config_path))
        self.write_tls_config()

    @property
    def tls_config_path(self):
        return os.path.join(self.config_dir, 'tls.conf')

    def write_tls_config(self):
        """ssl settings (last in the configuration: no configuration
        group undoes them) and the pg_hba.conf of the TLS mode."""
        mode = self.tls.mode()
        lines = ['# Written by the guest agent: TLS (%s).' % (mode or 'off')]
        if mode:
            lines += ['ssl = on',
                      "ssl_cert_file = '%s'" % self.tls.cert_path,
                      "ssl_key_file = '%s'" % self.tls.key_path,
                      "ssl_ca_file = '%s'" % self.tls.ca_path]
        else:
            lines.append('ssl = off')
        operating_system.write_file(self.tls_config_path,
                                    '\n'.join(lines) + '\n')
        operating_system.write_file(self.hba_file, hba_conf(mode))

    def write_overrides(self, overrides):
        self.ensure_config_dirs()
        lines = []
        for key, value in sorted((overrides or {}).items()):
            if isinstance(value, bool):
                value = 'on' if value else 'off'
            if isinstance(value, str):
                value = "'%s'" % value.replace("'", "''")
            lines.append('%s = %s' % (key, value))
        operating_system.write_file(self.overrides_path,
                                    '\n'.join(lines) + '\n')

    # Data directory -----------------------------------------------------
    def prepare_volume(self):
        super().prepare_volume()
        # PostgreSQL refuses a data directory others can read.
        os.chmod(self.data_dir, 0o700)

    def is_initialized(self):
        return os.path.exists(os.path.join(self.pgdata, 'PG_VERSION'))

    def initialize(self):
        self.prepare_volume()
        operating_system.ensure_dir(self.pgdata, 0o700, self.user)
        self.prepare_runtime()
        password = self.admin_password()
        if password is None:
            password = operating_system.generate_password(
                self.conf.default_password_length)
            self.store_admin_password(password)
        # initdb reads the password from a file the engine user can read;
        # it lives in the engine-owned runtime dir only while initdb runs.
        password_file = os.path.join(self.runtime_dir, '.initdb-password')
        operating_system.write_file(password_file, password + '\n',
                                    mode=0o600, owner=self.user)
        try:
            operating_system.run(
                [self._binary('initdb'), '--pgdata', self.pgdata,
                 '--username', engine.ADMIN_USER, '--pwfile', password_file,
                 '--auth', 'scram-sha-256', '--encoding', 'UTF8',
                 '--locale', 'C'],
                user=self.user)
        except errors.CommandError as error:
            reasons = error.output.strip().splitlines()[-2:]
            raise self.failure('PostgreSQL could not initialise its data '
                               'directory', reasons, error.output) from error
        finally:
            operating_system.remove(password_file)

    def prepare_runtime(self):
        super().prepare_runtime()
        self._remove_stale_lock_file()

    def _remove_stale_lock_file(self):
        """PostgreSQL refuses to start while the pid in its lock file
        exists, and a killed postmaster may stay a zombie for a moment
        after a fence (its parent gone, init reaps it when it gets to it):
        a lock file whose pid is no live process is removed first."""
        # The data directory's, and the socket's (first line: the pid).
        for lock_file in (os.path.join(self.pgdata, 'postmaster.pid'),
                          os.path.join(self.runtime_dir,
                                       '.s.PGSQL.%d.lock' % self.port)):
            pid = daemon.read_pid(lock_file)
            if pid is not None and not daemon.pid_alive(pid):
                LOG.info('Removing %s, a stale lock file of postmaster %d',
                         lock_file, pid)
                operating_system.remove(lock_file)

    def server_command(self):
        return [self._binary('postgres'), '-D', self.pgdata,
                '-c', 'config_file=%s' % self.config_file,
                '-c', 'hba_file=%s' % self.hba_file,
                '-c', 'listen_addresses=%s' % self.bind_host,
                '-c', 'port=%d' % self.port,
                '-c', 'unix_socket_directories=%s' % self.runtime_dir]

    # Health, admin ------------------------------------------------------
    def admin(self):
        return pg_admin.PgSqlAdmin(self.runtime_dir, self.port,
                                   engine.ADMIN_USER, self.admin_password(),
                                   ignore_users=list(self.conf.ignore_users) + ['os_probe'],
                                   ignore_dbs=self.conf.ignore_dbs)

    def query_ok(self):
        return self.admin().ping()

    def table_stats(self):
        return table_stats

    def data_size(self):
        return table_stats.data_size(self.admin())

    def secure(self):
        """os_admin is initdb's superuser already; make sure it stays a
        password-protected superuser (pg_hba is written with the config)."""
        self.admin().ensure_superuser(engine.ADMIN_USER,
                                      self.admin_password())

    def guest_logs(self):
        return guest_logs.specs(self)

    def error_lines(self, text):
        return postgres_error_lines(text)
