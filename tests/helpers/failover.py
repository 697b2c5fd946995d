"""What the failover tests need around a running system: a writer that
records what the engine acknowledged, a listener of oslo notifications,
and signals to an instance's engine (with its descendants) or agent."""

import glob
import os
import signal
import threading
import time

import oslo_messaging as messaging
from oslo_config import cfg
import psycopg
import psycopg.sql
import pymysql

from tests.e2e import sql_logins
from trove.common import daemon
from trove.compute.local import processes
from trove.guestagent.replication import base as replication_base

AGENT_PID_FILE = processes.AGENT_PID_FILE


class Writer:
    """Inserts numbered rows into ``kept`` until stopped, each on a new
    connection to whichever address ``target()`` names, recording every
    insert the engine acknowledged (number -> address, time)."""

    def __init__(self, datastore, target, user, password, database='app',
                 start=100000):
        self.datastore = datastore
        self.target = target
        self.user = user
        self.password = password
        self.database = database
        self.acknowledged = {}
        self.refused = 0
        self._number = start
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stopping.set()
        self._thread.join(30)

    def _run(self):
        while not self._stopping.is_set():
            self._number += 1
            address = self.target()
            try:
                connection = sql_logins.login(
                    self.datastore, address, self.user, self.password,
                    self.database)
                try:
                    with connection.cursor() as cursor:
                        cursor.execute('INSERT INTO kept VALUES (%d)'
                                       % self._number)
                    if self.datastore == 'mariadb':
                        connection.commit()
                finally:
                    connection.close()
            except (pymysql.err.MySQLError, psycopg.Error, OSError):
                self.refused += 1
                time.sleep(0.05)
                continue
            self.acknowledged[self._number] = (address, time.time())

    def last_on(self, address):
        times = [t for a, t in self.acknowledged.values() if a == address]
        return max(times) if times else None

    def first_on(self, address):
        times = [t for a, t in self.acknowledged.values() if a == address]
        return min(times) if times else None


class NotificationListener:
    """Collects the oslo notifications of a transport (the taskmanager's
    ``notifications.info`` on the system's vhost)."""

    def __init__(self, transport_url, topic='notifications'):
        conf = cfg.ConfigOpts()
        conf([], project='trove-tests')
        self.transport = messaging.get_notification_transport(
            conf, url=transport_url)
        self.received = []
        self._listener = messaging.get_notification_listener(
            self.transport, [messaging.Target(topic=topic)], [self],
            executor='threading')

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.received.append((event_type, payload))

    def start(self):
        self._listener.start()

    def stop(self):
        self._listener.stop()
        self._listener.wait()
        self.transport.cleanup()

    def of(self, event_type):
        return [payload for kind, payload in self.received
                if kind == event_type]


def instance_pids(instance_dir):
    """{pid file name: pid} of the live processes of a local instance."""
    found = {}
    for path in glob.glob(os.path.join(processes.run_dir(instance_dir),
                                       '*.pid')):
        pid = daemon.read_pid(path)
        if daemon.pid_alive(pid):
            found[os.path.basename(path)] = pid
    return found


def engine_pids(instance_dir):
    """The engine's processes: every recorded one but the agent, with
    their descendants (PostgreSQL's backends)."""
    pids = [pid for name, pid in instance_pids(instance_dir).items()
            if name != AGENT_PID_FILE]
    return pids + processes.descendants(pids)


def signal_engine(instance_dir, signum):
    """Send ``signum`` to the engine and all its descendants at once;
    returns the pids signalled."""
    pids = engine_pids(instance_dir)
    assert pids, 'no engine process under %s' % instance_dir
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
    return pids


def kill_agent(instance_dir):
    pid = instance_pids(instance_dir).get(AGENT_PID_FILE)
    assert pid, 'no guest agent under %s' % instance_dir
    os.kill(pid, signal.SIGKILL)
    return pid


def pause_replication(datastore, address, user, password):
    """Stop a MariaDB replica's receiving (its IO thread), as ``user``
    (root): what the primary commits from now on is on the primary only."""
    if datastore != 'mariadb':
        raise NotImplementedError(datastore)
    connection = sql_logins.login(datastore, address, user, password)
    try:
        with connection.cursor() as cursor:
            cursor.execute('STOP SLAVE IO_THREAD')
    finally:
        connection.close()


def pause_streaming(address, user, password, replica_id):
    """Stop a PostgreSQL replica's receiving from the primary at
    ``address``, as ``user`` (root there): its replication role may no
    longer log in and its WAL sender ends (the replica stays a standby
    that keeps trying, which the failover decision accepts). Nothing
    changes in the replica's own settings, which a pg_rewind from it
    would copy."""
    role = replication_base.replication_user(replica_id)
    connection = sql_logins.login('postgresql', address, user, password)
    try:
        with connection.cursor() as cursor:
            cursor.execute(psycopg.sql.SQL('ALTER ROLE {} NOLOGIN').format(
                psycopg.sql.Identifier(role)))
            # The ALTER ROLE is a transaction of its own: the replica gets
            # it before its sender ends, so what it lacks afterwards is
            # exactly what the test commits next.
            cursor.execute('SELECT pg_current_wal_lsn()')
            altered = cursor.fetchone()[0]
            deadline = time.monotonic() + 30
            while True:
                cursor.execute('SELECT count(*) FROM pg_stat_replication '
                               'WHERE usename = %s AND replay_lsn >= %s',
                               (role, altered))
                if cursor.fetchone()[0]:
                    break
                assert time.monotonic() < deadline, \
                    '%s did not replay the ALTER ROLE' % role
                time.sleep(0.1)
            deadline = time.monotonic() + 30
            while True:
                cursor.execute('SELECT pg_terminate_backend(pid) FROM '
                               'pg_stat_replication WHERE usename = %s',
                               (role,))
                cursor.execute('SELECT count(*) FROM pg_replication_slots '
                               'WHERE slot_name = %s AND active', (role,))
                if cursor.fetchone()[0] == 0:
                    return
                assert time.monotonic() < deadline, \
                    'the WAL sender of %s did not end' % role
                time.sleep(0.2)
    finally:
        connection.close()


def insert_with_xids(address, user, password, database, ids):
    """Insert one row per id in ``kept`` on a PostgreSQL primary, each in
    its own transaction; returns [(xid, WAL written after its commit)]."""
    connection = sql_logins.login('postgresql', address, user, password,
                                  database)
    committed = []
    try:
        with connection.cursor() as cursor:
            for row_id in ids:
                cursor.execute('INSERT INTO kept VALUES (%d) RETURNING '
                               'pg_current_xact_id()::text' % row_id)
                xid = int(cursor.fetchone()[0])
                cursor.execute('SELECT pg_current_wal_lsn()::text')
                committed.append((xid, cursor.fetchone()[0]))
    finally:
        connection.close()
    return committed


def timeline_switch(address, user, password):
    """(timeline it forked from, switch point) of a promoted PostgreSQL
    instance, from its timeline history file (as a superuser)."""
    connection = sql_logins.login('postgresql', address, user, password)
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT timeline_id FROM pg_control_checkpoint()')
            timeline = cursor.fetchone()[0]
            cursor.execute("SELECT pg_read_file('pg_wal/%08X.history')"
                           % timeline)
            history = cursor.fetchone()[0]
    finally:
        connection.close()
    parent, switch = history.strip().splitlines()[-1].split('\t')[:2]
    return int(parent), switch


def insert_with_gtids(address, user, password, database, ids):
    """Insert one row per id in ``kept`` on a MariaDB primary, each in its
    own transaction; returns the GTID each commit was given."""
    connection = sql_logins.login('mariadb', address, user, password,
                                  database)
    gtids = []
    try:
        with connection.cursor() as cursor:
            for row_id in ids:
                cursor.execute('INSERT INTO kept VALUES (%d)' % row_id)
                cursor.execute('SELECT @@last_gtid')
                gtids.append(cursor.fetchone()[0])
    finally:
        connection.close()
    return gtids
