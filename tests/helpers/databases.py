"""Throwaway control databases on SQLite, MariaDB and PostgreSQL.

MariaDB and PostgreSQL are the machine's servers (tools/bootstrap.sh
starts them); each test database gets a unique name and is dropped
afterwards. Override the servers with TROVE_TEST_MYSQL_URL and
TROVE_TEST_POSTGRESQL_URL (server URLs without a database name).
"""

import os
import uuid

import sqlalchemy as sa

MYSQL_SERVER = os.environ.get('TROVE_TEST_MYSQL_URL',
                              'mysql+pymysql://root@127.0.0.1:3306')
POSTGRESQL_SERVER = os.environ.get('TROVE_TEST_POSTGRESQL_URL',
                                   'postgresql+psycopg://postgres@127.0.0.1:5432')

BACKENDS = ('sqlite', 'mysql', 'postgresql')


class TestDatabase:
    """One empty database; ``url`` to connect, ``drop()`` when done."""

    def __init__(self, backend, tmp_dir):
        self.backend = backend
        self.name = 'trove_test_' + uuid.uuid4().hex[:12]
        if backend == 'sqlite':
            self.url = 'sqlite:///%s' % os.path.join(tmp_dir,
                                                     self.name + '.sqlite')
        elif backend == 'mysql':
            self._admin(MYSQL_SERVER + '/mysql',
                        'CREATE DATABASE %s CHARACTER SET utf8mb4' % self.name)
            self.url = '%s/%s?charset=utf8mb4' % (MYSQL_SERVER, self.name)
        elif backend == 'postgresql':
            self._admin(POSTGRESQL_SERVER + '/postgres',
                        'CREATE DATABASE %s' % self.name)
            self.url = '%s/%s' % (POSTGRESQL_SERVER, self.name)
        else:
            raise ValueError(backend)

    @staticmethod
    def _admin(url, statement):
        engine = sa.create_engine(url, isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    def drop(self):
        if self.backend == 'mysql':
            self._admin(MYSQL_SERVER + '/mysql',
                        'DROP DATABASE IF EXISTS %s' % self.name)
        elif self.backend == 'postgresql':
            self._admin(POSTGRESQL_SERVER + '/postgres',
                        'DROP DATABASE IF EXISTS %s WITH (FORCE)' % self.name)
