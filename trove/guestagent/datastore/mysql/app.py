"""MySQL: a real mysqld (not MariaDB's) from this host.

The data directory is created with ``--initialize-insecure`` (root@localhost
without a password, reachable only through the socket while the agent
secures it); securing gives root@localhost a random password nobody keeps,
so only os_admin remains for the agent.
"""

import os

from trove.common import engines
from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.datastore.mysql_common import app


class MySqlEngine(app.MySqlFamilyEngine):

    manager = 'mysql'
    display_name = 'MySQL'

    def _installation(self):
        found = engines.find_mysql()
        if found is None:
            raise errors.EngineError(
                'The mysql datastore needs a MySQL server (mysqld) installed '
                'on this host, and there is none (a MariaDB mysqld does not '
                'count); use the mariadb datastore instead.')
        return found

    def check_installed(self):
        self._installation()

    def server_binary(self):
        return os.path.join(self._installation().bin_dir, 'mysqld')

    def init_command(self, data_dir=None):
        command = [self.server_binary(),
                   '--defaults-file=%s' % self.defaults_file,
                   '--initialize-insecure',
                   '--datadir=%s' % (data_dir or self.data_dir)]
        if operating_system.running_as_root():
            command.append('--user=%s' % (self.user or 'root'))
        return command

    def bootstrap_account(self):
        return 'root', None

    def lock_bootstrap_account(self, admin):
        with admin.cursor() as cursor:
            cursor.execute('ALTER USER %s@%s IDENTIFIED BY %s',
                           ('root', 'localhost',
                            operating_system.generate_password(
                                self.conf.default_password_length)))
