"""PostgreSQL's side of point-in-time recovery.

Archiving: the engine's ``archive_command`` already copies each closed WAL
segment into ``<mount_point>/wal_archive`` (see postgresql.py); with
``archive_timeout`` a segment holding writes closes within that many
seconds. ``Source`` lists those segments for the archiver and reads their
commit times with ``pg_waldump`` (run with TZ=UTC).

Restore: the archived segments of the chosen run are downloaded into
``<mount_point>/pitr_wal`` and ``restore_command`` reads them after the
local archive; ``recovery_target_time`` (inclusive) stops the replay and
``recovery_target_action = promote`` ends recovery. A target at or after
the last archived commit replays everything (PostgreSQL refuses a target
it never reaches).
"""

import datetime
import os
import re
import shutil
import subprocess

from oslo_log import log as logging

from trove.guestagent import operating_system
from trove.guestagent.backup import postgresql

LOG = logging.getLogger(__name__)

COMMIT = re.compile(r'COMMIT (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC')
WALDUMP_TIMEOUT = 300
PITR_DIR = 'pitr_wal'


def wal_seq(name):
    """Order of a segment (timeline ignored)."""
    return int(name[8:16], 16) * 0x100000000 + int(name[16:24], 16)


def parse_time(text):
    moment = datetime.datetime.fromisoformat(text)
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def commit_times(output):
    return [parse_time(match.group(1)) for match in COMMIT.finditer(output)]


class Source:
    kind = 'wal'

    def __init__(self, engine):
        self.engine = engine
        self.strategy = postgresql.PgBaseBackup(engine, '/nonexistent')

    @property
    def archive_dir(self):
        return self.strategy.archive_dir

    def closed_files(self, rotate=True):
        directory = self.archive_dir
        if not os.path.isdir(directory):
            return []
        names = sorted((n for n in os.listdir(directory)
                        if postgresql.WAL_FILE.match(n)), key=wal_seq)
        return [(n, os.path.join(directory, n),
                 os.path.getmtime(os.path.join(directory, n)))
                for n in names]

    def not_archiving(self):
        """Why the running server archives no WAL (None: it does, or it
        is down)."""
        if not self.engine.is_alive():
            return None
        with self.engine.admin().cursor() as cursor:
            cursor.execute('SHOW archive_mode')
            row = cursor.fetchone()
        if row and row[0] == 'off':
            return 'the server does not archive its WAL (archive_mode off)'
        return None

    def describe(self, name, path):
        result = subprocess.run(
            [self.strategy.binary('pg_waldump'), path],
            capture_output=True, text=True, timeout=WALDUMP_TIMEOUT,
            env=dict(os.environ, TZ='UTC'))
        # pg_waldump ends with an error at the zero-filled tail of a
        # switched segment: the records before it are what counts.
        times = commit_times(result.stdout)
        return {'seq': wal_seq(name),
                'first_event': min(times) if times else None,
                'last_event': max(times) if times else None}


def recovery_settings(pitr, pitr_dir, archive_dir):
    """recovery.conf lines of a point-in-time restore."""
    lines = [
        '# Written by the guest agent for a point-in-time restore.',
        'restore_command = \'cp "%s/%%f" "%%p" 2>/dev/null || '
        'cp "%s/%%f" "%%p"\'' % (archive_dir, pitr_dir),
        "recovery_target_timeline = 'latest'"]
    target = replay_target(pitr)
    if target is not None:
        moment = datetime.datetime.fromtimestamp(
            target, datetime.timezone.utc)
        lines += ["recovery_target_time = '%s'"
                  % moment.strftime('%Y-%m-%d %H:%M:%S.%f+00'),
                  'recovery_target_inclusive = on',
                  "recovery_target_action = 'promote'"]
    return '\n'.join(lines) + '\n'


def replay_target(pitr):
    """The target time, or None to replay every archived segment."""
    target = pitr.get('target')
    if target is None:
        return None
    last = [a['last_event'] for a in pitr.get('archives', [])
            if a.get('last_event') is not None]
    if not last or float(target) >= max(last):
        return None
    return float(target)


def needed(archives, stop_wal_file):
    """The segments recovery reads: from the one where the backup
    stopped (earlier ones are in the backup or before it)."""
    if not stop_wal_file:
        return list(archives)
    first = wal_seq(stop_wal_file)
    return [a for a in archives if wal_seq(a['name']) >= first]


def prepare(strategy, pitr, download, stop_wal_file=None):
    """Before the first start: segments in place, recovery target set."""
    engine = strategy.engine
    pitr_dir = strategy.empty_dir(os.path.join(engine.mount_point,
                                               PITR_DIR))
    download(needed(pitr['archives'], stop_wal_file), pitr_dir)
    strategy.give_to_engine(pitr_dir)
    operating_system.write_file(strategy.recovery_conf, recovery_settings(
        pitr, pitr_dir, strategy.archive_dir))


def finish(strategy, pitr):
    """After promotion: the time of the last replayed commit."""
    with strategy.engine.admin().cursor() as cursor:
        cursor.execute('SELECT extract(epoch FROM '
                       'pg_last_xact_replay_timestamp())::float8')
        reached = cursor.fetchone()[0]
    shutil.rmtree(os.path.join(strategy.engine.mount_point, PITR_DIR),
                  ignore_errors=True)
    return float(reached) if reached is not None else None
