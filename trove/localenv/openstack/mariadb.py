"""The private MariaDB server of the OpenStack test stack.

One ``mariadbd`` of the machine's MariaDB packages, with its own datadir,
socket, free loopback port and pid file, run as a detached process and
stopped by its pid. It holds the databases of Placement, Glance, Nova
(api, cell0, cell1), Neutron and Cinder; its datadir is what the stack
template copies. Durability settings are relaxed (this data is thrown away
or rebuilt), which makes Nova's migrations several times faster.

It never touches the machine's own MariaDB on 3306.
"""

import os
import pwd
import shutil
import socket

from trove.common import daemon
from trove.localenv import external

DATABASES = ('nova_api', 'nova_cell0', 'nova', 'placement', 'glance',
             'neutron', 'cinder')
USER = 'openstack'
START_TIMEOUT = 60


def _binary(name):
    path = shutil.which(name) or os.path.join('/usr/sbin', name)
    if not os.path.exists(path):
        raise external.ExternalServiceError(
            '%s is not installed (tools/bootstrap.sh installs MariaDB)' % name)
    return path


class PrivateMariaDB:

    def __init__(self, base_dir, port, password):
        self.base_dir = os.path.abspath(base_dir)
        self.port = int(port)
        self.password = password

    @property
    def datadir(self):
        return os.path.join(self.base_dir, 'data')

    @property
    def socket_path(self):
        return os.path.join(self.base_dir, 'mysqld.sock')

    @property
    def pid_path(self):
        return os.path.join(self.base_dir, 'mariadbd.pid')

    @property
    def log_path(self):
        return os.path.join(self.base_dir, 'mariadbd.log')

    def url(self, database):
        return 'mysql+pymysql://%s:%s@127.0.0.1:%d/%s?charset=utf8' % (
            USER, self.password, self.port, database)

    def initialize(self):
        """A new datadir (the server is not running yet)."""
        os.makedirs(self.base_dir, exist_ok=True)
        external.run([_binary('mariadb-install-db'), '--no-defaults',
                      '--user=%s' % _user(), '--datadir=%s' % self.datadir,
                      '--auth-root-authentication-method=socket',
                      '--skip-test-db'], timeout=120)

    def create_databases(self):
        statements = ['CREATE USER IF NOT EXISTS %s@\'%%\' IDENTIFIED BY '
                      '\'%s\'' % (USER, self.password)]
        for name in DATABASES:
            statements.append('CREATE DATABASE IF NOT EXISTS %s '
                              'CHARACTER SET utf8' % name)
            statements.append('GRANT ALL ON %s.* TO %s@\'%%\'' % (name, USER))
        self.execute(';\n'.join(statements))

    def execute(self, sql):
        """Run SQL as root through the socket; returns its output."""
        return external.run([_binary('mariadb'), '--no-defaults',
                             '--socket=%s' % self.socket_path, '-uroot',
                             '--batch', '--skip-column-names', '-e', sql],
                            timeout=60)

    def command(self):
        return [_binary('mariadbd'), '--no-defaults', '--user=%s' % _user(),
                '--datadir=%s' % self.datadir, '--port=%d' % self.port,
                '--bind-address=127.0.0.1', '--socket=%s' % self.socket_path,
                '--pid-file=%s' % os.path.join(self.base_dir, 'mysqld.pid'),
                '--log-error=%s' % self.log_path,
                '--skip-name-resolve', '--max-connections=1000',
                '--innodb-buffer-pool-size=256M',
                '--innodb-log-file-size=32M',
                # Test data: no fsync per commit, no doublewrite.
                '--innodb-flush-log-at-trx-commit=0',
                '--innodb-doublewrite=0', '--sync-binlog=0',
                '--skip-log-bin', '--character-set-server=utf8']

    def start(self):
        if not daemon.is_running(self.pid_path):
            daemon.spawn(self.command(), self.pid_path,
                         os.path.join(self.base_dir, 'mariadbd.out'),
                         cwd=self.base_dir)

    def wait_ready(self, timeout=START_TIMEOUT):
        def answers():
            try:
                with socket.create_connection(('127.0.0.1', self.port), 1):
                    return True
            except OSError:
                return False
        external.wait_until(answers, timeout, 'MariaDB on port %d' % self.port,
                            self.pid_path, self.log_path)

    def stop(self, timeout=30):
        return external.stop_pid_file(self.pid_path, timeout=timeout)


def _user():
    return pwd.getpwuid(os.getuid()).pw_name
