"""PostgreSQL backups with pg_basebackup and the WAL archive.

Every instance archives its WAL into ``<mount_point>/wal_archive`` (set up
at prepare: ``archive_mode``/``archive_command`` in a conf.d file).

* Full backup: ``pg_basebackup -Ft -X fetch -c fast -D -``, one tar on
  stdout with the WAL needed to make it consistent. The WAL positions
  pg_basebackup prints (-v) become the metadata.
* Incremental backup: ``pg_backup_start``/``pg_backup_stop`` (which waits
  until the WAL up to its stop point is archived), then a tar of the
  archived WAL files from the parent's stop segment to this stop segment
  (and the timeline history files).

Restore: the full backup's tar becomes the data directory, each
incremental's WAL files go into the WAL archive, and the engine starts in
archive recovery (``recovery.signal``, ``restore_command`` reading the
archive), replaying everything and promoting itself. For its first start
pg_hba trusts os_admin on the local socket, until os_admin has the new
instance's password.
"""

import os
import re
import time

from oslo_log import log as logging

from trove.conf import CONF
from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.backup import pipeline
from trove.guestagent.backup import strategy
from trove.guestagent.datastore import engine as engine_base
from trove.guestagent.datastore.postgresql import sql

LOG = logging.getLogger(__name__)

WAL_FILE = re.compile(r'^[0-9A-F]{24}$')
HISTORY_FILE = re.compile(r'^[0-9A-F]{8}\.history$')
START_POINT = re.compile(r'write-ahead log start point: (\S+) on timeline '
                         r'(\d+)')
END_POINT = re.compile(r'write-ahead log end point: (\S+)')
SUCCESS_MARK = 'base backup completed'
ARCHIVE_CONF = '00-wal-archive.conf'
RECOVERY_CONF = 'zz-restore-recovery.conf'
ADMIN_USER = engine_base.ADMIN_USER
PROMOTION_POLL = 0.5


def wal_position(name):
    """Order of a WAL segment file regardless of its timeline."""
    return name[8:]


def wal_files_between(names, first, last):
    """WAL segment files from ``first``'s position to ``last``'s (both
    included, any timeline) plus every timeline history file, sorted."""
    low, high = wal_position(first), wal_position(last)
    chosen = [n for n in names
              if WAL_FILE.match(n) and low <= wal_position(n) <= high]
    chosen += [n for n in names if HISTORY_FILE.match(n)]
    return sorted(chosen)


class PgBaseBackup(strategy.Strategy):

    name = 'pg_basebackup'
    extension = '.tar.gz'
    label = 'trove-backup'

    def __init__(self, engine, work_dir):
        super().__init__(engine, work_dir)
        self._stop = None

    # Paths --------------------------------------------------------------
    @property
    def archive_dir(self):
        return os.path.join(self.engine.mount_point, 'wal_archive')

    @property
    def archive_conf(self):
        return os.path.join(self.engine.overrides_dir, ARCHIVE_CONF)

    @property
    def recovery_conf(self):
        return os.path.join(self.engine.overrides_dir, RECOVERY_CONF)

    def binary(self, name):
        return os.path.join(self.engine._installation().bin_dir, name)

    # Preparation --------------------------------------------------------
    def configure(self):
        operating_system.ensure_dir(self.archive_dir, 0o700,
                                    self.engine.user)
        archive = self.archive_dir
        operating_system.write_file(self.archive_conf, (
            '# Written by the guest agent: incremental backups and restores '
            'read this archive.\narchive_mode = on\n'
            f"archive_command = 'test ! -f \"{archive}/%f\" && "
            f"cp \"%p\" \"{archive}/%f\"'\n"
            + (f'archive_timeout = {CONF.archive_timeout}\n'
               if CONF.pitr_enabled else '')))

    # Backup -----------------------------------------------------------------
    def _password(self):
        password = self.engine.admin_password()
        if password is None:
            raise errors.EngineError('The instance has no os_admin account '
                                     'yet; it cannot be backed up.')
        return password

    def backup_command(self, parent):
        if parent is None:
            password = self._password()
            return pipeline.Command(
                [self.binary('pg_basebackup'),
                 '-h', self.engine.runtime_dir, '-p', str(self.engine.port),
                 '-U', ADMIN_USER, '--no-password', '-D', '-', '-Ft',
                 '-X', 'fetch', '-c', 'fast', '-v', '--label', self.label],
                env={'PGPASSWORD': password}, name='pg_basebackup')
        return self._wal_command(parent)

    def _wal_command(self, parent):
        first = parent.get('stop_wal_file')
        if not first:
            raise errors.GuestAgentError(
                'The parent backup records no WAL position; an incremental '
                'backup cannot be based on it.')
        self._stop = self._backup_stop_point()
        names = os.listdir(self.archive_dir) if os.path.isdir(
            self.archive_dir) else []
        files = wal_files_between(names, first, self._stop[1])
        positions = {wal_position(n) for n in files if WAL_FILE.match(n)}
        if wal_position(first) not in positions:
            raise errors.GuestAgentError(
                'The WAL archive no longer holds %s, where the parent '
                'backup ended; take a full backup instead.' % first)
        list_path = os.path.join(self.work_dir, 'wal-files.txt')
        operating_system.write_file(list_path, '\n'.join(files) + '\n',
                                    mode=0o600)
        self._wal_count = len(files)
        return pipeline.Command([strategy.tool('tar'), '-cf', '-', '-C',
                                 self.archive_dir, '-T', list_path],
                                name='tar')

    def _backup_stop_point(self):
        """(stop lsn, stop WAL file) of a backup_start/stop pair, once
        every WAL segment up to the stop point is archived."""
        with self.engine.admin().cursor() as cursor:
            # pg_backup_stop waits for the archiver: never past the
            # backup's deadline (a failing archive_command waits forever).
            cursor.execute("SELECT set_config('statement_timeout', %s, "
                           "false)", (str(CONF.backup_timeout * 1000),))
            cursor.execute('SHOW archive_mode')
            if cursor.fetchone()[0] == 'off':
                raise errors.GuestAgentError(
                    'WAL archiving is off on this instance, so it cannot '
                    'take incremental backups; take a full backup.')
            cursor.execute("SELECT current_setting('server_version_num')"
                           "::int")
            modern = cursor.fetchone()[0] >= 150000
            if modern:
                cursor.execute('SELECT pg_backup_start(%s, true)',
                               (self.label,))
                cursor.execute('SELECT lsn::text, pg_walfile_name(lsn) '
                               'FROM pg_backup_stop(true)')
            else:
                cursor.execute('SELECT pg_start_backup(%s, true, false)',
                               (self.label,))
                cursor.execute('SELECT lsn::text, pg_walfile_name(lsn) '
                               'FROM pg_stop_backup(false, true)')
            return tuple(cursor.fetchone())

    def backup_metadata(self, chain, parent):
        if parent is not None:
            return {'stop_lsn': self._stop[0],
                    'stop_wal_file': self._stop[1],
                    'wal_files': self._wal_count}
        output = chain.stderr_of(0)
        start, end = START_POINT.search(output), END_POINT.search(output)
        if SUCCESS_MARK not in output or not (start and end):
            raise errors.GuestAgentError(
                'pg_basebackup did not report a complete backup.', output)
        with self.engine.admin().cursor() as cursor:
            cursor.execute('SELECT pg_walfile_name(%s::pg_lsn)',
                           (end.group(1),))
            stop_file = cursor.fetchone()[0]
        return {'start_lsn': start.group(1), 'timeline': start.group(2),
                'stop_lsn': end.group(1), 'stop_wal_file': stop_file,
                'label': self.label}

    # Restore ---------------------------------------------------------------
    def restore(self, links, extract):
        pgdata = self.empty_dir(self.engine.pgdata)
        tar = strategy.tool('tar')
        extract(links[0], pipeline.Command([tar, '-xf', '-', '-C', pgdata]))
        operating_system.ensure_dir(self.archive_dir, 0o700)
        for link in links[1:]:
            extract(link, pipeline.Command([tar, '-xf', '-', '-C',
                                            self.archive_dir]))
        operating_system.remove(os.path.join(pgdata, 'postmaster.pid'))
        archive = self.archive_dir
        operating_system.write_file(self.recovery_conf, (
            '# Written by the guest agent for the restore; removed after '
            f'it.\nrestore_command = \'cp "{archive}/%f" "%p"\'\n'
            "recovery_target_timeline = 'latest'\n"))
        operating_system.write_file(os.path.join(pgdata, 'recovery.signal'),
                                    '')
        os.chmod(pgdata, 0o700)
        self.give_to_engine(pgdata)
        self.give_to_engine(self.archive_dir)
        LOG.info('Restored %d backup(s) into %s', len(links), pgdata)

    def start_restored(self):
        engine = self.engine
        password = operating_system.generate_password(
            engine.conf.default_password_length)
        hba = operating_system.read_file(engine.hba_file, '')
        operating_system.write_file(
            engine.hba_file, 'local all %s trust\n' % ADMIN_USER + hba)
        engine.store_admin_password(password)
        try:
            engine.start()
            self._wait_promoted()
            with engine.admin().cursor() as cursor:
                cursor.execute(sql.SQL(
                    'ALTER ROLE {} WITH LOGIN SUPERUSER PASSWORD {}').format(
                        sql.Identifier(ADMIN_USER), sql.Literal(password)))
        finally:
            operating_system.write_file(engine.hba_file, hba)
            operating_system.remove(self.recovery_conf)
            if engine.is_alive():
                with engine.admin().cursor() as cursor:
                    cursor.execute('SELECT pg_reload_conf()')
        if not engine.admin().ping():
            raise errors.EngineError('The restored PostgreSQL does not '
                                     'accept the new os_admin password.')

    def _wait_promoted(self):
        """Wait until archive recovery replayed everything and ended."""
        deadline = time.monotonic() + CONF.restore_usage_timeout
        while True:
            try:
                with self.engine.admin().cursor() as cursor:
                    cursor.execute('SELECT pg_is_in_recovery()')
                    if not cursor.fetchone()[0]:
                        return
            except Exception as error:
                LOG.debug('Recovery not finished: %s', error)
            if not self.engine.is_alive():
                raise self.engine.start_failure(None, 'stopped during '
                                                      'recovery')
            if time.monotonic() >= deadline:
                raise errors.EngineError(
                    'PostgreSQL did not finish replaying the backup\'s WAL '
                    'within %d seconds.' % CONF.restore_usage_timeout)
            time.sleep(PROMOTION_POLL)
