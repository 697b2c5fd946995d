"""MariaDB replication with global transaction ids.

Every MariaDB instance runs with a binary log, a unique ``server_id``,
``gtid_strict_mode`` and ``log_slave_updates`` from its creation (the
configuration template), so becoming a source never restarts it.

* A replica is built from a full backup of its source (mariadb-backup):
  the backup records the GTID position it holds, which becomes the
  replica's ``gtid_slave_pos``; it then replicates with
  ``MASTER_USE_GTID``, read-only.
* Each replica has an account of its own on the source (``REPLICATION
  SLAVE``), created before the backup so every member holds every
  account and any of them can become the source.
* Read-only here means ``read_only`` *and* no client account holding
  ``READ_ONLY ADMIN`` (MariaDB lets such accounts — root, anything with
  ALL PRIVILEGES — write through ``read_only``): the privilege is revoked
  locally (not written to the binary log) and granted back when the
  instance takes writes again. Fencing also ends client sessions.
* An instance that follows a new source (a demoted primary, a replica
  re-pointed after a promotion) uses its current position; with strict
  mode a source that lacks transactions this instance has refuses it,
  and ``follow`` reports the GTIDs so the instance stays out with a fault.
"""

import json
import os
import time

from oslo_log import log as logging
from trove.guestagent.datastore.mysql_common.driver import pymysql

from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.backup import restorer
from trove.guestagent.backup import mariadb as mariadb_backup
from trove.guestagent.datastore import engine as engine_base
from trove.guestagent.replication import base
from trove.guestagent.replication import divergence

LOG = logging.getLogger(__name__)

BINLOG_INFO_FILES = ('mariadb_backup_binlog_info', 'xtrabackup_binlog_info')
REPLICA_CONF = 'zz-replica.cnf'
SEMISYNC_CONF = 'zz-semisync.cnf'
# Milliseconds a semi-synchronous source waits for an acknowledgement
# before it falls back to asynchronous replication: about 24 days, i.e.
# never (sync mode promises that no acknowledged commit is lost; a source
# whose last replica left is switched to async by the taskmanager).
SEMISYNC_TIMEOUT_MS = 2147483647
FENCED_ACCOUNTS = 'replication.fenced-accounts.json'
# Seconds a new replication connection may take to show it is refused.
FOLLOW_CHECK = 10.0
# Threads that are not client sessions.
SYSTEM_USERS = ('system user', 'event_scheduler', 'unauthenticated user')
REPLICATION_COMMANDS = ('Binlog Dump', 'Binlog Dump GTID')
REFUSED_BY_SOURCE = 1236
# Seconds a promoted replica may take to apply its relay log.
DRAIN_TIMEOUT = 60


class MariaDBGTIDReplication(base.ReplicationStrategy):

    kind = 'gtid'

    @property
    def replica_conf(self):
        return os.path.join(self.engine.overrides_dir, REPLICA_CONF)

    @property
    def fenced_accounts_path(self):
        return os.path.join(self.engine.state_dir, FENCED_ACCOUNTS)

    def cursor(self):
        return self.engine.admin().cursor()

    # On the source -----------------------------------------------------------
    def add_replica_account(self, replica_id):
        user = base.replication_user(replica_id)
        password = operating_system.generate_password(24)
        # Written to the binary log on purpose: every member gets every
        # account, so any of them can become the source.
        with self.cursor() as cursor:
            cursor.execute("CREATE USER IF NOT EXISTS %s@'%%' "
                           "IDENTIFIED BY %s", (user, password))
            cursor.execute("ALTER USER %s@'%%' IDENTIFIED BY %s",
                           (user, password))
            cursor.execute("GRANT REPLICATION SLAVE ON *.* TO %s@'%%'",
                           (user,))
        return {'user': user, 'password': password}

    def remove_replica_account(self, replica_id):
        with self.cursor() as cursor:
            cursor.execute("DROP USER IF EXISTS %s@'%%'",
                           (base.replication_user(replica_id),))

    # On the replica ---------------------------------------------------------
    def restore_as_replica(self, manager, context, snapshot):
        restorer.restore_backup(manager, mariadb_backup.MariaBackup,
                                context, snapshot['backup'])
        position = self._backup_position()
        self._set_read_only(True)
        with self.cursor() as cursor:
            cursor.execute('SET GLOBAL gtid_slave_pos = %s', (position,))
        self._change_source(snapshot['source'], use_gtid='slave_pos')
        LOG.info('Replicating from %s:%s from GTID position %s',
                 snapshot['source']['host'], snapshot['source']['port'],
                 position or '(empty)')

    def _backup_position(self):
        for name in BINLOG_INFO_FILES:
            text = operating_system.read_file(
                os.path.join(self.engine.data_dir, name), '')
            if text:
                fields = text.split()
                return fields[2] if len(fields) > 2 else ''
        raise errors.GuestAgentError(
            'The snapshot of the source records no GTID position '
            '(no binary log information in the backup).')

    def follow(self, source):
        with self.cursor() as cursor:
            cursor.execute('STOP SLAVE')
        self._set_read_only(True)
        self._apply_semisync(replica=True)
        self._change_source(source, use_gtid='current_pos')
        self._check_accepted(source)

    def _change_source(self, source, use_gtid):
        with self.cursor() as cursor:
            cursor.execute('STOP SLAVE')
            cursor.execute(
                'CHANGE MASTER TO MASTER_HOST = %s, MASTER_PORT = %s, '
                'MASTER_USER = %s, MASTER_PASSWORD = %s, '
                'MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1, '
                'MASTER_USE_GTID = ' + use_gtid,
                (source['host'], int(source['port']), source['user'],
                 source['password']))
            cursor.execute('START SLAVE')

    def _check_accepted(self, source):
        """Error 1236 from the source: this instance has transactions the
        source lacks (strict mode refuses to go on)."""
        deadline = time.monotonic() + FOLLOW_CHECK
        while time.monotonic() < deadline:
            status = self._slave_status()
            if status.get('Last_IO_Errno') == REFUSED_BY_SOURCE:
                with self.cursor() as cursor:
                    cursor.execute('STOP SLAVE')
                    cursor.execute('SELECT @@gtid_binlog_state')
                    mine = cursor.fetchone()[0]
                raise errors.GuestAgentError(divergence.stays_out(
                    divergence.lacked_by(self._lacked_by(source, mine),
                                         source['host']),
                    status.get('Last_IO_Error')))
            if status.get('Slave_IO_Running') == 'Yes' and \
                    status.get('Slave_SQL_Running') == 'Yes':
                return
            time.sleep(0.2)

    @staticmethod
    def _lacked_by(source, mine):
        """The GTIDs of ``mine`` (a gtid_binlog_state) the source lacks,
        as divergence.describe says them (any account may read them)."""
        try:
            connection = pymysql.connect(
                host=source['host'], port=int(source['port']),
                user=source['user'], password=source['password'],
                connect_timeout=5, read_timeout=10)
            try:
                with connection.cursor() as cursor:
                    cursor.execute('SELECT @@global.gtid_binlog_state, '
                                   '@@global.gtid_slave_pos')
                    theirs = cursor.fetchone()
            finally:
                connection.close()
        except pymysql.Error as error:
            LOG.warning('Could not read the source\'s GTIDs: %s', error)
            return 'transactions (GTID state %s)' % mine
        return divergence.describe(divergence.missing_gtids(
            divergence.gtid_state(mine), divergence.gtid_state(*theirs)))

    def promote(self):
        self._drain_relay_log()
        with self.cursor() as cursor:
            cursor.execute('STOP SLAVE')
            cursor.execute('RESET SLAVE ALL')
        self.unfence()
        self._set_read_only(False)
        # The source side of semi-sync is switched on by the taskmanager
        # once the other replicas follow (set_mode): before that nobody
        # could acknowledge, and their accounts' creation here would wait.

    def _drain_relay_log(self):
        """Apply everything already received before taking writes: after
        a failover the relay log may hold transactions the dead source
        acknowledged (semi-sync acknowledges on receipt), and STOP SLAVE
        would leave them unapplied for good."""
        status = self._slave_status()
        received = status.get('Gtid_IO_Pos')
        if not received:
            return
        with self.cursor() as cursor:
            cursor.execute('STOP SLAVE IO_THREAD')
            cursor.execute('SELECT MASTER_GTID_WAIT(%s, %s)',
                           (received, DRAIN_TIMEOUT))
            if cursor.fetchone()[0] != 0:
                LOG.warning('The relay log was not applied up to %s within '
                            '%d seconds', received, DRAIN_TIMEOUT)

    # Replication mode ---------------------------------------------------------
    @property
    def semisync_conf(self):
        return os.path.join(self.engine.overrides_dir, SEMISYNC_CONF)

    def set_mode(self, mode):
        """Semi-synchronous replication (sync) or not (async), now and at
        every start. Only a source waits for acknowledgements: a replica
        writes what it applies to its own binary log, and would wait for
        replicas it does not have (the source side follows the role, see
        ``_apply_semisync``)."""
        if mode == 'sync':
            operating_system.write_file(
                self.semisync_conf, '# Written by the guest agent: '
                'semi-synchronous replication.\n[mysqld]\n')
        else:
            operating_system.remove(self.semisync_conf)
        self._apply_semisync(replica=bool(self._slave_status()))
        LOG.info('Replication mode %s', mode)

    def _apply_semisync(self, replica):
        """The semi-synchronous side of this instance's role (nothing if
        its set is not in sync mode): a source waits (AFTER_SYNC: a
        commit is visible only once a replica has it), a replica
        acknowledges."""
        sync = os.path.exists(self.semisync_conf)
        settings = {'rpl_semi_sync_master_enabled':
                    'ON' if sync and not replica else 'OFF',
                    'rpl_semi_sync_slave_enabled': 'ON' if sync else 'OFF',
                    'rpl_semi_sync_master_timeout': SEMISYNC_TIMEOUT_MS,
                    'rpl_semi_sync_master_wait_point': 'AFTER_SYNC'}
        if sync:
            operating_system.write_file(self.semisync_conf, (
                '# Written by the guest agent: semi-synchronous '
                'replication.\n[mysqld]\n' + ''.join(
                    '%s = %s\n' % item for item in sorted(
                        settings.items()))))
        status = self._slave_status() if replica else {}
        with self.cursor() as cursor:
            cursor.execute('SELECT @@rpl_semi_sync_slave_enabled')
            acknowledging = bool(cursor.fetchone()[0])
            for name, value in sorted(settings.items()):
                # Names and values are ours (above), never a user's.
                cursor.execute('SET GLOBAL %s = %s' % (name, value))
            if (status.get('Slave_IO_Running') == 'Yes' and
                    acknowledging != sync):
                # The replica side takes effect at the next connection:
                # reconnect only when it changed, and never start a
                # receiving that someone stopped.
                cursor.execute('STOP SLAVE IO_THREAD')
                cursor.execute('START SLAVE IO_THREAD')

    # Read-only and fencing ---------------------------------------------------
    def _set_read_only(self, read_only):
        """``read_only`` now and at every start; and READ_ONLY ADMIN
        revoked from client accounts while it holds."""
        if read_only:
            operating_system.write_file(
                self.replica_conf, '# Written by the guest agent: this '
                'instance takes no client writes.\n[mysqld]\n'
                'read_only = ON\n')
        else:
            operating_system.remove(self.replica_conf)
        with self.cursor() as cursor:
            cursor.execute('SET GLOBAL read_only = %s'
                           % ('ON' if read_only else 'OFF'))
        if read_only:
            self._revoke_read_only_admin()

    def _revoke_read_only_admin(self):
        accounts = self._fenced_accounts()
        with self.cursor() as cursor:
            cursor.execute('SET SESSION sql_log_bin = 0')
            cursor.execute(
                "SELECT GRANTEE FROM information_schema.USER_PRIVILEGES "
                "WHERE PRIVILEGE_TYPE = 'READ_ONLY ADMIN'")
            grantees = [row[0] for row in cursor.fetchall()]
            for grantee in grantees:
                if grantee == "'%s'@'localhost'" % engine_base.ADMIN_USER:
                    continue
                cursor.execute('REVOKE READ_ONLY ADMIN ON *.* FROM '
                               + grantee)
                if grantee not in accounts:
                    accounts.append(grantee)
        operating_system.write_file(self.fenced_accounts_path,
                                    json.dumps(accounts), mode=0o600)

    def _fenced_accounts(self):
        text = operating_system.read_file(self.fenced_accounts_path, '')
        try:
            return list(json.loads(text)) if text else []
        except ValueError:
            return []

    def fence(self):
        self._set_read_only(True)
        with self.cursor() as cursor:
            cursor.execute('SELECT CONNECTION_ID()')
            mine = cursor.fetchone()[0]
            cursor.execute(
                'SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST')
            for thread_id, user, command in cursor.fetchall():
                if thread_id == mine or user in SYSTEM_USERS or \
                        user == engine_base.ADMIN_USER or \
                        command in REPLICATION_COMMANDS:
                    continue
                try:
                    cursor.execute('KILL CONNECTION %d' % int(thread_id))
                except Exception as error:     # it ended meanwhile
                    LOG.debug('Could not end session %s: %s', thread_id,
                              error)
        LOG.info('Fenced: read-only, no account may write, client '
                 'sessions ended')

    def start_fenced(self, mode):
        """Read-only from the first moment (the option file is written
        before the start). In sync mode the crash recovery also drops
        what no replica acknowledged (``init_rpl_role = SLAVE``: binlog
        transactions prepared but never committed are rolled back and
        truncated), so the GTID check of ``follow`` can accept it."""
        lines = ['read_only = ON']
        if mode == 'sync':
            lines += ['init_rpl_role = SLAVE',
                      'rpl_semi_sync_slave_enabled = ON']
        operating_system.write_file(
            self.replica_conf, '# Written by the guest agent: a fenced '
            'former primary takes no client writes.\n[mysqld]\n'
            + '\n'.join(lines) + '\n')
        self.engine.start()
        self.fence()
        # init_rpl_role only matters for this one crash recovery.
        operating_system.write_file(
            self.replica_conf, '# Written by the guest agent: this '
            'instance takes no client writes.\n[mysqld]\nread_only = ON\n')

    def unfence(self):
        accounts = self._fenced_accounts()
        with self.cursor() as cursor:
            cursor.execute('SET SESSION sql_log_bin = 0')
            for grantee in accounts:
                try:
                    cursor.execute('GRANT READ_ONLY ADMIN ON *.* TO '
                                   + grantee)
                except Exception as error:     # the account is gone
                    LOG.info('Not granting READ_ONLY ADMIN back to %s: %s',
                             grantee, error)
        operating_system.remove(self.fenced_accounts_path)

    # Positions ---------------------------------------------------------------
    def _slave_status(self):
        with self.cursor() as cursor:
            cursor.execute('SHOW SLAVE STATUS')
            row = cursor.fetchone()
            if row is None:
                return {}
            names = [column[0] for column in cursor.description]
        return dict(zip(names, row))

    def current_position(self):
        with self.cursor() as cursor:
            cursor.execute('SELECT @@gtid_binlog_pos, @@gtid_slave_pos')
            binlog, slave = cursor.fetchone()
        # A replica is as far as it applied; a source as far as it wrote.
        value = slave if self._slave_status() else binlog
        return self.position(value)

    def wait_for(self, position, timeout):
        with self.cursor() as cursor:
            cursor.execute('SELECT MASTER_GTID_WAIT(%s, %s)',
                           (position['value'], float(timeout)))
            return cursor.fetchone()[0] == 0

    def status(self):
        slave = self._slave_status()
        position = self.current_position()
        if not slave:
            return {'role': 'primary', 'position': position,
                    'connected': True, 'source_host': None, 'error': None}
        received = slave.get('Gtid_IO_Pos')
        return {
            'role': 'replica', 'position': position,
            'received': self.position(received) if received else position,
            'connected': slave.get('Slave_IO_Running') == 'Yes'
            and slave.get('Slave_SQL_Running') == 'Yes',
            'source_host': slave.get('Master_Host'),
            'lag_seconds': slave.get('Seconds_Behind_Master'),
            'error': slave.get('Last_IO_Error') or slave.get(
                'Last_SQL_Error') or None}
