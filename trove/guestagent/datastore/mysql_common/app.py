"""A MySQL-family server (MariaDB or MySQL) run by the guest agent.

Files (all under ``guest_state_dir`` except the data):

* ``etc/my.cnf``      written by the agent: includes ``etc/base.cnf`` (the
  template the control plane rendered, pure tuning) then ``etc/conf.d/``
  (user overrides). It is the server's ``--defaults-file``.
* ``mysqld/``         owned by the engine user: socket and the server's
  own pid file.
* ``mysqld.pid``      the pid file the local provider looks at.
* data in ``<mount_point>/data``.

Instance settings (data dir, socket, address, port) are passed on the
command line, so they win over anything in the configuration files.
"""

import abc
import os
import re

from trove.conf import CONF
from trove.guestagent.datastore.mysql_common import guest_logs
from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.datastore import data_templates
from trove.guestagent.datastore import engine
from trove.guestagent.datastore.mysql_common import admin as mysql_admin
from trove.guestagent.datastore.mysql_common import table_stats

# "2026-11-22 20:53:55 0 [ERROR] /usr/sbin/mariadbd: unknown variable ..."
_ERROR_LINE = re.compile(r'\[ERROR\]\s*(?:\[[^\]]*\]\s*)*(?:\S*mysqld|'
                         r'\S*mariadbd)?:?\s*(?P<text>.*)$')
_NOISE = ('Aborting', 'Unknown/unsupported storage engine')
# The subject of the client certificates the API issues for a user
# (trove.common.certificates), as the server prints it.
CLIENT_SUBJECT = '/O=Trove/CN=%s'


def mysql_error_lines(text):
    """The [ERROR] lines of a MySQL-family log, without their prefixes."""
    lines = []
    for line in text.splitlines():
        match = _ERROR_LINE.search(line)
        if not match:
            continue
        message = match.group('text').strip()
        if message and not message.startswith(_NOISE):
            lines.append(message)
    return lines


class MySqlFamilyEngine(engine.Engine, abc.ABC):

    pid_name = 'mysqld.pid'
    log_name = 'mysqld.log'
    runtime_name = 'mysqld'

    # Paths ------------------------------------------------------------------
    @property
    def defaults_file(self):
        return os.path.join(self.config_dir, 'my.cnf')

    @property
    def base_config_path(self):
        return os.path.join(self.config_dir, 'base.cnf')

    @property
    def overrides_path(self):
        return os.path.join(self.overrides_dir, 'overrides.cnf')

    @property
    def socket_path(self):
        return os.path.join(self.runtime_dir, 'mysqld.sock')

    # Engine specifics -------------------------------------------------------
    @abc.abstractmethod
    def server_binary(self):
        """Path of the server (mariadbd / mysqld)."""

    @abc.abstractmethod
    def init_command(self, data_dir=None):
        """Command creating the system tables in ``data_dir`` (the
        instance's data directory by default)."""

    @abc.abstractmethod
    def bootstrap_account(self):
        """(user, password) the agent uses before os_admin exists."""

    def lock_bootstrap_account(self, admin):
        """Make the bootstrap account unusable over the network."""

    # Configuration ------------------------------------------------------
    def write_base_config(self, contents):
        self.ensure_config_dirs()
        operating_system.write_file(self.base_config_path,
                                    (contents or '').rstrip() + '\n')
        self.write_tls_config()
        # TLS settings come last: no configuration group undoes them.
        operating_system.write_file(self.defaults_file, (
            '# Written by the guest agent. Instance settings (paths, '
            'address, port)\n# are on the server command line.\n'
            '!include %s\n!includedir %s\n!include %s\n')
            % (self.base_config_path, self.overrides_dir,
               self.tls_config_path))

    @property
    def tls_config_path(self):
        return os.path.join(self.config_dir, 'tls.cnf')

    def write_tls_config(self):
        mode = self.tls.mode()
        lines = ['# Written by the guest agent: TLS (%s).'
                 % (mode or 'off'), '[mysqld]']
        if mode:
            lines += ['ssl_ca = %s' % self.tls.ca_path,
                      'ssl_cert = %s' % self.tls.cert_path,
                      'ssl_key = %s' % self.tls.key_path]
            # Logins over the unix socket (the agent's) count as secure.
            # Mutual TLS: each account also REQUIREs its certificate.
            lines.append('require_secure_transport = %s' % (
                'OFF' if mode == 'basic' else 'ON'))
        operating_system.write_file(self.tls_config_path,
                                    '\n'.join(lines) + '\n')

    def write_overrides(self, overrides):
        self.ensure_config_dirs()
        lines = ['[mysqld]']
        for key, value in sorted((overrides or {}).items()):
            if isinstance(value, bool):
                value = 'ON' if value else 'OFF'
            lines.append('%s = %s' % (key, value))
        operating_system.write_file(self.overrides_path,
                                    '\n'.join(lines) + '\n')

    # Data directory -----------------------------------------------------
    def is_initialized(self):
        return os.path.isdir(os.path.join(self.data_dir, 'mysql'))

    @property
    def tmp_dir(self):
        """The engine's own temporary directory: engines bootstrapping at
        the same moment in a shared /tmp remove each other's temporary
        table files (seen with ten concurrent mariadb-install-db)."""
        return os.path.join(self.runtime_dir, 'tmp')

    def prepare_runtime(self):
        super().prepare_runtime()
        operating_system.ensure_dir(self.tmp_dir, 0o700, self.user)

    def initialize(self):
        self.prepare_volume()
        self.prepare_runtime()
        key_material = self.template_key_material()
        if not (key_material and CONF.engine_template_dir
                and data_templates.initialize(
                    CONF.engine_template_dir, self.manager, key_material,
                    self._initialize_into, self.data_dir, self.user)):
            self._initialize_into(self.data_dir)
        operating_system.chown(self.data_dir, self.user, recursive=True)

    def _initialize_into(self, data_dir):
        try:
            operating_system.run(self.init_command(data_dir)
                                 + ['--tmpdir=%s' % self.tmp_dir])
        except errors.CommandError as error:
            raise self.failure(
                '%s could not initialise its data directory'
                % self.display_name, mysql_error_lines(error.output),
                error.output) from error

    def template_key_material(self):
        """What a freshly initialised data directory of this engine
        depends on, for ``data_templates``; None: never from a template
        (MySQL writes the server's own UUID into it)."""
        return None

    def server_command(self):
        command = [self.server_binary(),
                   '--defaults-file=%s' % self.defaults_file,
                   '--datadir=%s' % self.data_dir,
                   '--socket=%s' % self.socket_path,
                   '--pid-file=%s' % os.path.join(self.runtime_dir,
                                                  'mysqld.pid'),
                   '--bind-address=%s' % self.bind_host,
                   '--port=%d' % self.port,
                   '--tmpdir=%s' % self.tmp_dir]
        if operating_system.running_as_root() and self.user in (None,
                                                                 'root'):
            # The server refuses to run as root unless told so.
            command.append('--user=root')
        return command

    # Health, admin ------------------------------------------------------
    def admin(self):
        password = self.admin_password()
        user = engine.ADMIN_USER
        if password is None:
            user, password = self.bootstrap_account()
        return mysql_admin.MySqlAdmin(
            self.socket_path, user, password,
            ignore_users=list(self.conf.ignore_users) + ['os_probe'],
            ignore_dbs=self.conf.ignore_dbs,
            client_subject=CLIENT_SUBJECT if self.tls.mode() == 'mtls'
            else None)

    def apply_tls_to_accounts(self):
        self.admin().require_client_certificates()

    def query_ok(self):
        return self.admin().ping()

    def table_stats(self):
        return table_stats

    def data_size(self):
        return table_stats.data_size(self.data_dir)

    def secure(self):
        """os_admin for the agent; no anonymous users, no remote root."""
        user, password = self.bootstrap_account()
        if self.admin_password() is not None:
            # Already secured by an earlier, interrupted prepare.
            bootstrap = self.admin()
        else:
            bootstrap = mysql_admin.MySqlAdmin(self.socket_path, user,
                                               password)
        new_password = operating_system.generate_password(
            self.conf.default_password_length)
        bootstrap.create_admin_user(engine.ADMIN_USER, new_password)
        self.store_admin_password(new_password)
        admin = self.admin()
        admin.remove_anonymous_users()
        admin.remove_remote_root()
        self.lock_bootstrap_account(admin)

    def guest_logs(self):
        return guest_logs.specs(self)

    def error_lines(self, text):
        return mysql_error_lines(text)
