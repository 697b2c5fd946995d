"""MariaDB's side of point-in-time recovery.

Archiving: every ``binlog_archive_interval`` the archiver rotates the
binary log (``FLUSH BINARY LOGS``, only when the current one grew) and
ships every closed one. ``mariadb-binlog`` (TZ=UTC) gives each file's
server id, first/last GTID and first/last transaction time; the file's
last event (the rotate) is when it closed.

Restore: mariadb-backup records in ``xtrabackup_binlog_info`` the
binary log position its data is consistent at. The archived logs from
that file on are downloaded, decoded by ``mariadb-binlog
--start-position=<pos> --stop-datetime=<target + 1 s>`` (event times have
whole seconds, so the target second is included) and fed to the restored
server; the time of the last event applied is the time reached.
"""

import datetime
import os
import re
import shutil
import subprocess

from oslo_log import log as logging

from trove.guestagent import errors
from trove.guestagent.backup import strategy as backup_strategy
from trove.guestagent.datastore import engine as engine_base

LOG = logging.getLogger(__name__)

EVENT = re.compile(r'^#(\d{6}) +(\d{1,2}:\d\d:\d\d) server id (\d+)', re.M)
GTID = re.compile(r'^#(\d{6}) +(\d{1,2}:\d\d:\d\d) server id \d+ .*'
                  r'\bGTID (\d+-\d+-\d+)', re.M)
# mariadb-backup 10.x names it xtrabackup_binlog_info, 11.x mariadb_...
BINLOG_INFO = ('mariadb_backup_binlog_info', 'xtrabackup_binlog_info')
DECODE_TIMEOUT = 3600
PITR_DIR = '.pitr_binlogs'
# log_bin = mysql-bin in the config template
INDEX_FILE = 'mysql-bin.index'


def binlog_seq(name):
    return int(name.rsplit('.', 1)[1])


def event_time(day, clock):
    moment = datetime.datetime.strptime('%s %s' % (day, clock),
                                        '%y%m%d %H:%M:%S')
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def decode(args):
    tool = backup_strategy.tool('mariadb-binlog', 'mysqlbinlog')
    result = subprocess.run([tool] + list(args), capture_output=True,
                            text=True, timeout=DECODE_TIMEOUT,
                            env=dict(os.environ, TZ='UTC'))
    if result.returncode != 0:
        raise errors.EngineError('mariadb-binlog failed: %s'
                                 % result.stderr.strip()[-500:])
    return result.stdout


def describe_output(output):
    events = [(event_time(d, c), s) for d, c, s in EVENT.findall(output)]
    gtids = [(event_time(d, c), g) for d, c, g in GTID.findall(output)]
    return {
        'server_id': events[0][1] if events else None,
        'opened_at': events[0][0] if events else None,
        'first_event': gtids[0][0] if gtids else None,
        'last_event': gtids[-1][0] if gtids else None,
        'first_gtid': gtids[0][1] if gtids else None,
        'last_gtid': gtids[-1][1] if gtids else None,
    }


def last_event_time(output):
    times = [event_time(d, c) for d, c, _g in GTID.findall(output)]
    return max(times) if times else None


class Source:
    kind = 'binlog'

    def __init__(self, engine):
        self.engine = engine
        self._last_position = None

    def not_archiving(self):
        """Why the running server writes no binary log (None: it does, or
        it is down and its closed logs are shipped)."""
        if not self.engine.is_alive():
            return None
        with self.engine.admin().cursor() as cursor:
            cursor.execute('SELECT @@log_bin')
            row = cursor.fetchone()
        if row and not int(row[0]):
            return 'the server runs without binary logging (log_bin off)'
        return None

    def _logs(self, cursor):
        cursor.execute('SHOW BINARY LOGS')
        return [row[0] for row in cursor.fetchall()]

    def _index_names(self):
        """The binary logs the (stopped) server's index file lists."""
        path = os.path.join(self.engine.data_dir, INDEX_FILE)
        try:
            with open(path) as index:
                return [os.path.basename(line.strip())
                        for line in index if line.strip()]
        except FileNotFoundError:
            return []

    def closed_files(self, rotate=True):
        if not self.engine.is_alive():
            # A stopped (or killed) server writes no more to its last log,
            # and its next start opens a new one: every log is closed, so
            # a latest restore loses nothing the server wrote.
            return self._files(self._index_names())
        with self.engine.admin().cursor() as cursor:
            if rotate:
                cursor.execute('SHOW MASTER STATUS')
                status = cursor.fetchone()
                position = tuple(status[:2]) if status else None
                if position and position != self._last_position:
                    cursor.execute('FLUSH BINARY LOGS')
                    cursor.execute('SHOW MASTER STATUS')
                    status = cursor.fetchone()
                    position = tuple(status[:2]) if status else None
                self._last_position = position
            names = self._logs(cursor)
        return self._files(names[:-1])

    def _files(self, names):
        files = []
        for name in names:
            path = os.path.join(self.engine.data_dir, name)
            if os.path.exists(path):
                files.append((name, path, os.path.getmtime(path)))
        return files

    def describe(self, name, path):
        entry = describe_output(decode([path]))
        entry['seq'] = binlog_seq(name)
        return entry


def binlog_position(data_dir):
    """(file, position, gtid) the restored data is consistent at."""
    fields = None
    for name in BINLOG_INFO:
        try:
            with open(os.path.join(data_dir, name)) as info:
                fields = info.read().split()
            break
        except FileNotFoundError:
            continue
    if fields is None:
        raise errors.EngineError('The backup records no binary log '
                                 'position; it cannot be rolled forward.')
    if len(fields) < 2:
        raise errors.EngineError('The backup\'s binary log position %r '
                                 'cannot be read.' % fields)
    return fields[0], int(fields[1]), fields[2] if len(fields) > 2 else ''


def replay(strategy, pitr, download):
    """Apply the archived binary logs to the started, restored server;
    returns the time of the last event applied (None: nothing to apply)."""
    engine = strategy.engine
    first, position, gtid = binlog_position(engine.data_dir)
    archives = [a for a in pitr['archives']
                if binlog_seq(a['name']) >= binlog_seq(first)]
    if not archives or archives[0]['name'] != first:
        raise errors.EngineError(
            'The archive does not hold %s, where the backup ends.' % first)
    work = strategy.empty_dir(os.path.join(engine.mount_point, PITR_DIR))
    try:
        paths = download(archives, work)
        args = ['--start-position=%d' % position]
        target = pitr.get('target')
        if target is not None:
            stop = datetime.datetime.fromtimestamp(
                int(float(target)) + 1, datetime.timezone.utc)
            args.append('--stop-datetime=%s'
                        % stop.strftime('%Y-%m-%d %H:%M:%S'))
        script = os.path.join(work, 'replay.sql')
        output = decode(args + paths)
        with open(script, 'w') as target_file:
            target_file.write(output)
        reached = last_event_time(output)
        apply_script(engine, script)
        LOG.info('Replayed %d binary log(s) from %s:%d (%s)',
                 len(paths), first, position, gtid)
        return reached
    finally:
        shutil.rmtree(work, ignore_errors=True)


def apply_script(engine, script):
    client = backup_strategy.tool('mariadb', 'mysql')
    password = engine.admin_password()
    with open(script, 'rb') as source:
        result = subprocess.run(
            [client, '--socket=%s' % engine.socket_path,
             '--user=%s' % engine_base.ADMIN_USER, '--binary-mode'],
            stdin=source, capture_output=True, timeout=DECODE_TIMEOUT,
            env=dict(os.environ, MYSQL_PWD=password or ''))
    if result.returncode != 0:
        raise errors.EngineError(
            'Replaying the binary logs failed: %s'
            % result.stderr.decode('utf-8', 'replace').strip()[-500:])
