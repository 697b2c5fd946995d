"""Real SQL logins at an instance's address, and one shared instance per
datastore for the database/user/root end-to-end tests.

Every check in those tests goes through a real login over TCP: what the
API says must be what the engine enforces.
"""

import contextlib
import uuid

import psycopg
import pymysql
import pytest
from troveclient import exceptions

from tests.e2e import system as e2e

PORTS = {'mariadb': 3306, 'postgresql': 5432}
# Databases each engine needs; hostile requests must leave them alone.
SYSTEM_DATABASES = {
    'mariadb': {'mysql', 'information_schema', 'performance_schema', 'sys'},
    'postgresql': {'postgres', 'template0', 'template1'},
}


def status_of(call, *args, **kwargs):
    """The HTTP status a client call fails with."""
    with pytest.raises(exceptions.ClientException) as raised:
        call(*args, **kwargs)
    error = raised.value
    return getattr(error, 'http_status', None) or error.code


def login(datastore, address, user, password, database=None):
    """A connection as ``user``; raises if the engine refuses it."""
    if datastore == 'postgresql':
        return psycopg.connect(host=address, port=5432, user=user,
                               password=password,
                               dbname=database or 'postgres',
                               connect_timeout=10, autocommit=True)
    return pymysql.connect(host=address, port=3306, user=user,
                           password=password, database=database,
                           connect_timeout=10, autocommit=True)


def can_login(datastore, address, user, password, database=None):
    try:
        login(datastore, address, user, password, database).close()
        return True
    except (psycopg.Error, pymysql.Error):
        return False


def reachable_databases(datastore, address, user, password, candidates):
    """Which of ``candidates`` ``user`` can open a session in."""
    return {name for name in candidates
            if can_login(datastore, address, user, password, name)}


def query(datastore, address, user, password, sql, database=None):
    with contextlib.closing(login(datastore, address, user, password,
                                  database)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()


def system_databases_present(datastore, address, root_password):
    """The engine's own databases, as root sees them."""
    if datastore == 'postgresql':
        rows = query(datastore, address, 'root', root_password,
                     'SELECT datname FROM pg_database')
    else:
        rows = query(datastore, address, 'root', root_password,
                     'SHOW DATABASES')
    return SYSTEM_DATABASES[datastore] & {row[0] for row in rows}


class SharedInstance:
    """An ACTIVE instance of ``datastore`` in a project of its own."""

    def __init__(self, trove_system, datastore, name):
        self.system = trove_system
        self.datastore = datastore
        self.project_id = 'e2e-' + uuid.uuid4().hex[:8]
        self.client = trove_system.client(self.project_id)
        created = self.client.instances.create(
            '%s-%s' % (name, datastore), flavor_id='1', volume={'size': 1},
            datastore=datastore)
        self.id = created.id
        try:
            instance = e2e.wait_for_instance(self.client, self.id,
                                             system=trove_system)
        except BaseException:
            self.delete()
            raise
        self.address = instance.ip[0]

    def login(self, user, password, database=None):
        return login(self.datastore, self.address, user, password, database)

    def can_login(self, user, password, database=None):
        return can_login(self.datastore, self.address, user, password,
                         database)

    def reachable(self, user, password, candidates):
        return reachable_databases(self.datastore, self.address, user,
                                   password, candidates)

    def delete(self):
        self.client.instances.delete(self.id)
        e2e.wait_for_deleted(self.client, self.id)


def shared_instance(trove_system, datastore, name):
    """Generator body of a module-scoped fixture: yields the instance and
    always deletes it."""
    instance = SharedInstance(trove_system, datastore, name)
    try:
        yield instance
    finally:
        instance.delete()
