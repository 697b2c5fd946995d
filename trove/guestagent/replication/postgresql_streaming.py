"""PostgreSQL streaming replication with a physical slot per replica.

* Each replica has a role of its own on the source (``LOGIN REPLICATION``,
  not a superuser) and a physical replication slot reserved before the
  snapshot, so the source keeps every WAL segment the replica has not
  received. pg_hba already admits replication connections with a
  password, so nothing is reloaded or restarted on the source.
* A replica is built from a full backup of its source (pg_basebackup):
  unpacked, then started as a standby (``standby.signal``,
  ``primary_conninfo``, ``primary_slot_name``) that replays the backup
  and streams from the slot. Roles are the source's, so the agent uses
  the source's os_admin password.
* Promoting is ``pg_promote``. Re-pointing a standby rewrites its
  connection settings and reloads them (PostgreSQL 13+). A former
  primary is stopped (that is its fence: a stopped engine takes no
  write), rewound onto the new primary's timeline with pg_rewind
  (``wal_log_hints`` is on from creation) and started as its standby.
  What a rewind would discard (the WAL from the new timeline's switch
  point to the former primary's end: in async mode what a failover
  lost) is read first, with pg_rewind's dry run and pg_waldump. When it
  holds a committed transaction (or cannot be read) there is no rewind:
  ``follow`` refuses as the MariaDB strategy refuses a former primary
  holding GTIDs its new source lacks, in the same words (the LSN range
  and the xids committed in it; trove.guestagent.replication.divergence),
  and the instance is started again as a standby of nobody: read-only,
  holding those transactions, following no one.
* Slots are not replicated: whoever becomes the source creates the slots
  of its replicas (``add_replica_account`` again).
"""

import os
import re
import time

from oslo_log import log as logging

from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.backup import postgresql as pg_backup
from trove.guestagent.backup import restorer
from trove.guestagent.datastore import engine as engine_base
from trove.guestagent.datastore.postgresql import sql
from trove.guestagent.replication import base
from trove.guestagent.replication import divergence

LOG = logging.getLogger(__name__)

STANDBY_CONF = 'zz-standby.conf'
SYNC_CONF = 'zz-sync.conf'
# A fenced former primary started as a standby of nobody: to be rewound.
FENCED_MARKER = 'replication.fenced'
CHECKPOINT_LINE = re.compile(r'^Latest checkpoint location:\s+(\S+)',
                             re.MULTILINE)
POLL = 0.2
PROMOTE_WAIT = 60


def conninfo(source, application_name, dbname=None):
    """A libpq connection string (values quoted as libpq wants)."""
    def quote(value):
        return "'%s'" % str(value).replace('\\', '\\\\').replace("'", "\\'")
    pairs = [('host', source['host']), ('port', source['port']),
             ('user', source['user']), ('password', source['password']),
             ('application_name', application_name)]
    if dbname:
        pairs.append(('dbname', dbname))
    return ' '.join('%s=%s' % (key, quote(value)) for key, value in pairs)


class PostgresStreamingReplication(base.ReplicationStrategy):

    kind = 'lsn'

    @property
    def standby_conf(self):
        return os.path.join(self.engine.overrides_dir, STANDBY_CONF)

    def cursor(self):
        return self.engine.admin().cursor()

    def _binary(self, name):
        return self.engine._binary(name)

    # On the source -----------------------------------------------------------
    def add_replica_account(self, replica_id):
        user = base.replication_user(replica_id)
        password = operating_system.generate_password(24)
        self.engine.admin().ensure_replication_role(user, password)
        with self.cursor() as cursor:
            cursor.execute('SELECT 1 FROM pg_replication_slots '
                           'WHERE slot_name = %s', (user,))
            if cursor.fetchone() is None:
                # Reserved now: WAL from here on is kept for the replica.
                cursor.execute('SELECT pg_create_physical_replication_slot'
                               '(%s, true)', (user,))
        # The members share one catalog: a standby's agent logs in as
        # os_admin with the source's password.
        return {'user': user, 'password': password, 'slot': user,
                'admin_password': self.engine.admin_password()}

    def remove_replica_account(self, replica_id):
        user = base.replication_user(replica_id)
        with self.cursor() as cursor:
            cursor.execute(
                'SELECT pg_terminate_backend(active_pid) FROM '
                'pg_replication_slots WHERE slot_name = %s AND active_pid '
                'IS NOT NULL', (user,))
            cursor.execute('SELECT pg_drop_replication_slot(slot_name) FROM '
                           'pg_replication_slots WHERE slot_name = %s',
                           (user,))
            cursor.execute(sql.SQL('DROP ROLE IF EXISTS {}').format(
                sql.Identifier(user)))

    # On the replica ---------------------------------------------------------
    def restore_as_replica(self, manager, context, snapshot):
        strategy = restorer.restore_backup(
            manager, pg_backup.PgBaseBackup, context, snapshot['backup'],
            start=False)
        # A standby, not a restore that ends in promotion.
        operating_system.remove(strategy.recovery_conf)
        operating_system.remove(os.path.join(self.engine.pgdata,
                                             'recovery.signal'))
        # The roles are the source's: so is os_admin's password.
        self.engine.store_admin_password(snapshot['source_admin_password'])
        self._write_standby(snapshot['source'])
        self.engine.start()
        LOG.info('Streaming from %s:%s through slot %s',
                 snapshot['source']['host'], snapshot['source']['port'],
                 snapshot['source'].get('slot'))

    def _write_standby(self, source):
        engine = self.engine
        settings = ["primary_conninfo = '%s'" % conninfo(
            source, os.path.basename(engine.state_dir)).replace("'", "''"),
            "recovery_target_timeline = 'latest'",
            # A silent primary (hung, partitioned) is given up after 5 s:
            # the standby then reports its replication broken, which an
            # automatic failover needs to confirm. A live idle primary
            # is not: the receiver pings it after half the timeout and
            # it answers.
            "wal_receiver_timeout = '5s'",
            "wal_receiver_status_interval = '1s'"]
        if source.get('slot'):
            settings.append("primary_slot_name = '%s'" % source['slot'])
        # It holds a password: readable by the engine only.
        operating_system.write_file(
            self.standby_conf, '# Written by the guest agent: this instance '
            'is a standby.\n' + '\n'.join(settings) + '\n', mode=0o600,
            owner=engine.user)
        operating_system.write_file(
            os.path.join(engine.pgdata, 'standby.signal'), '', mode=0o600,
            owner=engine.user)

    def _in_recovery(self):
        with self.cursor() as cursor:
            cursor.execute('SELECT pg_is_in_recovery()')
            return cursor.fetchone()[0]

    @property
    def fenced_marker(self):
        return os.path.join(self.engine.state_dir, FENCED_MARKER)

    def start_fenced(self, mode):
        """A standby of nobody: crash recovery replays the local WAL,
        then it waits, read-only; ``follow`` rewinds it (the marker
        says it was a primary)."""
        engine = self.engine
        operating_system.write_file(self.fenced_marker, '')
        operating_system.remove(self.standby_conf)
        operating_system.write_file(
            os.path.join(engine.pgdata, 'standby.signal'), '', mode=0o600,
            owner=engine.user)
        engine.start()

    def follow(self, source):
        """Streams from ``source``. A former primary is rewound onto its
        timeline first, unless the rewind would discard a transaction it
        committed in asynchronous mode: then it raises
        (``divergence.stays_out``) and stays a standby of nobody,
        read-only, holding them. Returns what a rewind discarded in
        synchronous mode (``divergence.lacked_by``), or None."""
        engine = self.engine
        fenced = os.path.exists(self.fenced_marker)
        if not fenced and engine.is_alive() and self._in_recovery():
            self._write_standby(source)
            with self.cursor() as cursor:
                cursor.execute('SELECT pg_reload_conf()')
            return None
        # A former primary: stopped (if it was not), rewound onto the new
        # primary's timeline, started as its standby.
        if not engine.is_alive():
            # Killed (or its fenced start failed): a start as a standby of
            # nobody replays its WAL, says where it ends and makes the stop
            # below clean (pg_rewind needs that).
            self.start_fenced(None)
        end = self._end_of_wal()
        synchronous = self._synchronous()
        engine.stop()
        try:
            held = self._held(source, end)
        except errors.GuestAgentError:
            self.start_fenced(None)
            raise
        if held and not synchronous:
            # Kept: back as a standby of nobody (read-only, its WAL
            # replayed), as MariaDB keeps a former primary holding GTIDs
            # its new source lacks.
            self.start_fenced(None)
            report = divergence.stays_out(
                divergence.lacked_by(held, source['host']),
                'a rewind would discard them')
            LOG.warning('Not rewound onto %s: %s', source['host'], report)
            raise errors.GuestAgentError(report)
        self._rewind(source)
        self._write_standby(source)
        engine.start()
        operating_system.remove(self.fenced_marker)
        self._drop_stale_slots()
        if not held:
            return None
        # Synchronous: no client was told these committed (a commit
        # returns once a standby has it, and the new primary is the most
        # advanced standby), as MariaDB's crash recovery drops its
        # unacknowledged transactions.
        discarded = divergence.lacked_by(held, source['host'], held=True) \
            + '; pg_rewind discarded them (never acknowledged)'
        LOG.warning('Rewound onto %s: %s', source['host'], discarded)
        return discarded

    def _synchronous(self):
        """Whether this instance's commits waited for a standby when it
        was a primary (``set_mode``'s file)."""
        return os.path.exists(os.path.join(self.engine.overrides_dir,
                                           SYNC_CONF))

    def _end_of_wal(self):
        """Where this instance's WAL ends: what its recovery replayed (a
        fenced former primary is a standby of nobody), or what it wrote."""
        if not self.engine.is_alive():
            return None
        with self.cursor() as cursor:
            cursor.execute(
                'SELECT CASE WHEN pg_is_in_recovery() THEN '
                'pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() '
                'END::text')
            return cursor.fetchone()[0]

    def _held(self, source, end):
        """What this stopped former primary holds that ``source`` lacks
        and a rewind onto it would discard, as ``divergence.describe_wal``
        says it: the WAL from the new timeline's switch point to ``end``
        and the transactions committed in it; the range alone, with the
        error, when its commits cannot be read. None when it holds no
        commit (a rewind loses nothing)."""
        diverged = divergence.rewind_divergence(
            self._run_rewind(source, dry_run=True))
        if not diverged:
            return None
        start, timeline = diverged
        if not end:
            # Never seen (its recovery did not say): nothing proves the
            # range holds no commit.
            return 'the WAL from %s of timeline %d (its end could not be ' \
                'read)' % (start, timeline)
        if base.lsn_number(end) <= base.lsn_number(start):
            return None
        try:
            dump = operating_system.run(
                [self._binary('pg_waldump'), '--path',
                 os.path.join(self.engine.pgdata, 'pg_wal'),
                 '--timeline', str(timeline), '--start', start, '--end',
                 end, '--rmgr', 'Transaction'],
                user=self.engine.user, env={'LC_ALL': 'C'})
        except errors.CommandError as error:
            LOG.warning('Could not read the WAL a rewind would discard: %s',
                        error.output)
            return 'the WAL %s..%s of timeline %d (its transactions could ' \
                'not be read: %s)' % (start, end, timeline, ' '.join(
                    error.output.strip().splitlines()[-1:]))
        xids = [xid for xid, _lsn in divergence.wal_commits(dump)]
        if not xids:
            LOG.info('A rewind discards the WAL %s..%s of timeline %d: no '
                     'commit in it', start, end, timeline)
            return None
        return divergence.describe_wal(start, end, timeline, xids)

    def _drop_stale_slots(self):
        """A former primary's slots served its replicas, who follow the
        new primary now; kept, they would pin WAL here."""
        with self.cursor() as cursor:
            cursor.execute('SELECT pg_drop_replication_slot(slot_name) FROM '
                           'pg_replication_slots WHERE NOT active')

    def _rewind(self, source):
        output = self._run_rewind(source)
        LOG.info('pg_rewind: %s', output.strip().splitlines()[-1:]
                 if output.strip() else 'done')

    def _run_rewind(self, source, dry_run=False):
        engine = self.engine
        # pg_rewind reads the source as os_admin (same roles, same
        # password: the members share one catalog).
        target = dict(source, user=engine_base.ADMIN_USER,
                      password=engine.admin_password())
        try:
            return operating_system.run(
                [self._binary('pg_rewind'), '--target-pgdata',
                 engine.pgdata, '--source-server', conninfo(
                     target, 'pg_rewind', dbname='postgres'),
                 '--no-ensure-shutdown'] + (
                     ['--dry-run'] if dry_run else ['--progress']),
                user=engine.user, env={'LC_ALL': 'C'})
        except errors.CommandError as error:
            raise errors.GuestAgentError(
                'This instance could not be rewound onto its new source '
                '%s: %s' % (source['host'], '; '.join(
                    error.output.strip().splitlines()[-2:])),
                error.output) from error

    def promote(self):
        with self.cursor() as cursor:
            cursor.execute('SELECT pg_is_in_recovery()')
            if cursor.fetchone()[0]:
                cursor.execute('SELECT pg_promote(true, %s)',
                               (PROMOTE_WAIT,))
                if not cursor.fetchone()[0]:
                    raise errors.GuestAgentError(
                        'PostgreSQL did not finish its promotion within %d '
                        'seconds.' % PROMOTE_WAIT)
                # The control file names the new timeline only after a
                # checkpoint; pg_rewind of the old primary reads it (and
                # would rewind onto the old timeline without it).
                cursor.execute('CHECKPOINT')
        operating_system.remove(self.standby_conf)
        with self.cursor() as cursor:
            cursor.execute('SELECT pg_reload_conf()')

    # Replication mode ---------------------------------------------------------
    def set_mode(self, mode):
        """Synchronous (a commit waits until any one standby has flushed
        it) or asynchronous, on every member: a standby ignores it until
        it is promoted, and is then synchronous at once."""
        path = os.path.join(self.engine.overrides_dir, SYNC_CONF)
        if mode == 'sync':
            operating_system.write_file(
                path, '# Written by the guest agent: synchronous '
                'replication.\nsynchronous_standby_names = '
                "'ANY 1 (*)'\nsynchronous_commit = on\n",
                owner=self.engine.user)
        else:
            operating_system.remove(path)
        if self.engine.is_alive():
            with self.cursor() as cursor:
                cursor.execute('SELECT pg_reload_conf()')
        LOG.info('Replication mode %s', mode)

    # Fencing ---------------------------------------------------------------
    def fence(self):
        """A clean stop: the standbys receive the WAL up to the shutdown
        checkpoint, and a stopped engine takes no write."""
        self.engine.stop()

    def unfence(self):
        self.engine.start()

    # Positions ---------------------------------------------------------------
    def _stopped_position(self):
        output = operating_system.run(
            [self._binary('pg_controldata'), '-D', self.engine.pgdata],
            user=self.engine.user, env={'LC_ALL': 'C'})
        found = CHECKPOINT_LINE.search(output)
        return found.group(1) if found else None

    def current_position(self):
        if not self.engine.is_alive():
            return self.position(self._stopped_position())
        with self.cursor() as cursor:
            cursor.execute(
                'SELECT CASE WHEN pg_is_in_recovery() THEN coalesce('
                'pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn())::text '
                'ELSE pg_current_wal_lsn()::text END')
            return self.position(cursor.fetchone()[0])

    def wait_for(self, position, timeout):
        deadline = time.monotonic() + timeout
        wanted = int(position['number'])
        while True:
            if self.current_position()['number'] >= wanted:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)

    def status(self):
        position = self.current_position()
        if not self._in_recovery():
            return {'role': 'primary', 'position': position,
                    'connected': True, 'source_host': None, 'error': None}
        with self.cursor() as cursor:
            cursor.execute('SELECT status, sender_host FROM '
                           'pg_stat_wal_receiver')
            row = cursor.fetchone()
        with self.cursor() as cursor:
            cursor.execute('SELECT pg_last_wal_receive_lsn()::text')
            received = cursor.fetchone()[0]
        return {'role': 'replica', 'position': position,
                'received': self.position(received) if received
                else position,
                'connected': bool(row) and row[0] == 'streaming',
                'source_host': row[1] if row else None,
                'error': None if row else 'no WAL receiver is running'}
