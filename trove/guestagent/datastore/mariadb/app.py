"""MariaDB: mariadbd and mariadb-install-db from this host.

The data directory is created with unix_socket authentication for the
agent's OS user (root when the agent runs as root), so the first
connection after initialisation needs no password and nothing else can
use it; secure() then creates os_admin.
"""

import os
import shutil

from trove.common import engines
from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.datastore import galera
from trove.guestagent.datastore.mysql_common import engine_settings
from trove.guestagent.datastore.mysql_common import app


class MariaDBEngine(app.MySqlFamilyEngine):

    manager = 'mariadb'
    display_name = 'MariaDB'
    # Set for one start by the cluster endpoints: this member starts a
    # new primary component instead of joining one.
    bootstrap_cluster = False

    def _installation(self):
        found = engines.find_mariadb()
        if found is None:
            raise errors.EngineError(
                'MariaDB is not installed on this host (mariadbd not found '
                'in %s).' % ', '.join(engines.MARIADB_SEARCH))
        return found

    def check_installed(self):
        self._installation()
        if not self._install_db():
            raise errors.EngineError(
                'mariadb-install-db is not installed on this host; it is '
                'needed to create the data directory.')

    @staticmethod
    def _install_db():
        for directory in engines.MARIADB_SEARCH:
            path = os.path.join(directory, 'mariadb-install-db')
            if os.access(path, os.X_OK):
                return path
        return shutil.which('mariadb-install-db')

    def server_binary(self):
        return os.path.join(self._installation().bin_dir, 'mariadbd')

    def init_command(self, data_dir=None):
        command = [self._install_db(),
                   '--defaults-file=%s' % self.defaults_file,
                   '--datadir=%s' % (data_dir or self.data_dir),
                   '--skip-test-db',
                   '--auth-root-authentication-method=socket',
                   '--auth-root-socket-user=%s'
                   % operating_system.current_user()]
        if operating_system.running_as_root():
            command.append('--user=%s' % (self.user or 'root'))
        return command

    def template_key_material(self):
        """mariadb-install-db's result depends on the server's version,
        its options and the settings it reads, not on the instance: the
        bootstrap account is the agent's OS user over unix_socket until
        secure() replaces it. Galera members initialise their own."""
        if galera.is_member(self):
            return None
        return {'server': self.server_binary(),
                'version': self._installation().version,
                'command': [arg for arg in self.init_command('DATA')
                            if not arg.startswith('--defaults-file=')],
                'engine_user': self.user,
                'settings': engine_settings.read(self.defaults_file)}

    def bootstrap_account(self):
        # unix_socket authentication: MariaDB user = our OS user name.
        return operating_system.current_user(), None

    def server_command(self):
        command = super().server_command()
        if self.bootstrap_cluster:
            command.append('--wsrep-new-cluster')
        return command

    def query_ok(self):
        """A cluster member is healthy once Synced in a primary component
        (a cut-off member still answers SELECT 1 but refuses writes)."""
        if not galera.is_member(self):
            return super().query_ok()
        return galera.is_synced(galera.status(self.admin()))
