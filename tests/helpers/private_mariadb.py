"""A MariaDB server of the test's own (own datadir, port and socket), so a
test may stop and restart it without touching the machine's server."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pymysql

from tests.helpers import ports


class PrivateMariaDB:

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='trove-private-mariadb-')
        self.datadir = os.path.join(self.dir, 'data')
        self.port = ports.free_port()
        self.process = None
        subprocess.run(
            ['mariadb-install-db', '--no-defaults', '--user=root',
             '--datadir=' + self.datadir,
             '--auth-root-authentication-method=normal', '--skip-test-db'],
            check=True, capture_output=True, timeout=120)

    @property
    def url(self):
        return 'mysql+pymysql://root@127.0.0.1:%d/trove' % self.port

    def start(self, timeout=60):
        self.process = subprocess.Popen(
            ['mariadbd', '--no-defaults', '--user=root',
             '--datadir=' + self.datadir, '--port=%d' % self.port,
             '--bind-address=127.0.0.1',
             '--socket=' + os.path.join(self.dir, 'mysqld.sock'),
             '--pid-file=' + os.path.join(self.dir, 'mysqld.pid'),
             '--log-error=' + os.path.join(self.dir, 'error.log'),
             '--innodb-buffer-pool-size=64M',
             '--transaction-isolation=READ-COMMITTED'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection = pymysql.connect(host='127.0.0.1', port=self.port,
                                             user='root')
                break
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline or \
                        self.process.poll() is not None:
                    raise
                time.sleep(0.2)
        with connection:
            connection.cursor().execute(
                'CREATE DATABASE IF NOT EXISTS trove CHARACTER SET utf8mb4')

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.process = None

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def query(self, statement):
        connection = pymysql.connect(host='127.0.0.1', port=self.port,
                                     user='root', database='trove')
        with connection:
            cursor = connection.cursor()
            cursor.execute(statement)
            return cursor.fetchall()


class PrivatePostgreSQL:
    """The same for PostgreSQL: a cluster of its own, run as the
    ``postgres`` user (initdb refuses root)."""

    BIN = '/usr/lib/postgresql/15/bin'

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='trove-private-pg-')
        os.chmod(self.dir, 0o755)
        self.datadir = os.path.join(self.dir, 'data')
        self.port = ports.free_port()
        shutil.chown(self.dir, 'postgres', 'postgres')
        self._as_postgres(os.path.join(self.BIN, 'initdb'), '-D',
                          self.datadir, '-A', 'trust', '-U', 'postgres',
                          '--no-sync')
        self.running = False

    @staticmethod
    def _as_postgres(*command, timeout=120):
        import shlex
        subprocess.run(['su', 'postgres', '-s', '/bin/sh', '-c',
                        ' '.join(shlex.quote(c) for c in command)],
                       check=True, capture_output=True, timeout=timeout)

    @property
    def url(self):
        return 'postgresql+psycopg://postgres@127.0.0.1:%d/trove' % self.port

    def start(self, timeout=60):
        self._as_postgres(
            os.path.join(self.BIN, 'pg_ctl'), '-D', self.datadir, '-l',
            os.path.join(self.dir, 'log'), '-w', '-t', str(timeout), '-o',
            '-p %d -k %s -c listen_addresses=127.0.0.1' % (self.port,
                                                           self.dir),
            'start', timeout=timeout + 30)
        self.running = True
        import psycopg
        with psycopg.connect(host='127.0.0.1', port=self.port,
                             user='postgres', dbname='postgres',
                             autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = 'trove'").fetchone()
            if not exists:
                connection.execute('CREATE DATABASE trove')

    def stop(self):
        if self.running:
            self._as_postgres(os.path.join(self.BIN, 'pg_ctl'), '-D',
                              self.datadir, '-m', 'fast', '-w', 'stop')
            self.running = False

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def query(self, statement):
        import psycopg
        with psycopg.connect(host='127.0.0.1', port=self.port,
                             user='postgres', dbname='trove') as connection:
            return connection.execute(statement).fetchall()
