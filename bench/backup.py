"""Backup and restore throughput next to the raw tools, in the same run.

Runs the whole system (trove-local: every service its own process, real
RabbitMQ; local storage, or a real Swift with ``--swift``), then for
MariaDB and PostgreSQL:

* fills an instance with ``--size-mb`` of rows (text that gzip halves);
* raw backup: the tool the guest uses, on the same live engine, piped to
  the same compressor into a file (``mariadb-backup --backup
  --stream=xbstream | gzip``, ``pg_basebackup -Ft -X fetch -c fast -D - |
  gzip``);
* trove backup: ``POST /backups`` until COMPLETED (``api``), and the
  guest's own backup phase from its log (``guest``: tool, compression,
  checksum and upload to the storage);
* raw restore: the file decompressed into the unpack tool and, for
  MariaDB, prepared (``gzip -d | mbstream -x``, ``mariadb-backup
  --prepare``; ``gzip -d | tar -x``): a data directory ready to start;
* trove restore: ``POST /instances`` with the backup as restorePoint until
  ACTIVE (``api``: builds the instance, starts the engine, replays WAL,
  secures it) and the guest's restore phase from its log (``guest``: the
  same data directory, read from the storage with its checksum checked).
  Starting the engine is outside both restore phases: it is the same
  engine start either way and no part of the tools' throughput.

Throughput is MB of the source data directory per second; ``ratio`` is
the guest phase over the raw tool (target: at least 0.8). Medians of
``--runs``. The last line printed is one JSON object with every figure.

    .venv/bin/python bench/backup.py [--size-mb 256] [--runs 1] [--swift]
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e import system as e2e  # noqa: E402
from tests.e2e.test_backup_restore import SwiftTroveSystem  # noqa: E402
from tests.helpers import ports  # noqa: E402
from tests.helpers import rabbit  # noqa: E402
from trove.common import engines  # noqa: E402
from trove.conf import backup as backup_conf  # noqa: E402

MB = 1024 * 1024
GZIP_LEVEL = next(o.default for o in backup_conf.backup_opts
                  if o.name == 'backup_compression_level')
LOG_TIME = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})')


# Timing helpers ----------------------------------------------------------------
def timed(function, *args):
    start = time.monotonic()
    function(*args)
    return time.monotonic() - start


def run(command, **kwargs):
    subprocess.run(command, check=True, capture_output=True, **kwargs)


def pipe_to_file(producer, target, env=None):
    """``producer | gzip -<level> > target``."""
    with open(target, 'wb') as out:
        tool = subprocess.Popen(producer, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env)
        gzip = subprocess.Popen(['gzip', '-c', '-%d' % GZIP_LEVEL],
                                stdin=tool.stdout, stdout=out)
        tool.stdout.close()
        if gzip.wait() or tool.wait():
            raise RuntimeError('%s failed' % producer[0])


def unpack(source, consumer):
    """``gzip -dc source | consumer``."""
    gunzip = subprocess.Popen(['gzip', '-dc', source],
                              stdout=subprocess.PIPE)
    tool = subprocess.Popen(consumer, stdin=gunzip.stdout,
                            stdout=subprocess.DEVNULL)
    gunzip.stdout.close()
    if tool.wait() or gunzip.wait():
        raise RuntimeError('%s failed' % consumer[0])


def guest_phase(instance_dir, start_text, end_text):
    """Seconds between two guest log lines (the last occurrences)."""
    path = os.path.join(instance_dir, 'logs', 'guestagent.log')
    start = end = None
    with open(path, errors='replace') as log:
        for line in log:
            match = LOG_TIME.match(line)
            if not match:
                continue
            when = datetime.datetime.strptime(match.group(1),
                                              '%Y-%m-%d %H:%M:%S.%f')
            if start_text in line:
                start = when
            elif end_text in line and start is not None:
                end = when
    if start is None or end is None:
        raise RuntimeError('no "%s" ... "%s" in %s' % (start_text, end_text,
                                                       path))
    return (end - start).total_seconds()


def tree_bytes(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


# Engines --------------------------------------------------------------------
class MariaDB:
    name = 'mariadb'
    load = ('CREATE TABLE bench (id INT AUTO_INCREMENT PRIMARY KEY, '
            'payload TEXT)',
            'INSERT INTO bench (payload) SELECT HEX(RANDOM_BYTES(512)) '
            'FROM seq_1_to_{rows}')

    def __init__(self, instance_dir, volume_dir):
        self.dir = instance_dir
        self.volume_dir = volume_dir
        self.run_dir = os.path.join(instance_dir, 'run')

    def data_dir(self):
        return os.path.join(self.volume_dir, 'mount', 'data')

    def raw_backup(self, target):
        password = open(os.path.join(self.run_dir,
                                     'os_admin.password')).read().strip()
        pipe_to_file([
            'mariadb-backup',
            '--defaults-file=%s' % os.path.join(self.run_dir, 'etc',
                                                'my.cnf'),
            '--backup', '--stream=xbstream', '--datadir=' + self.data_dir(),
            '--socket=%s' % os.path.join(self.run_dir, 'mysqld',
                                         'mysqld.sock'),
            '--user=os_admin', '--password=' + password,
            '--target-dir=' + target + '.tmp'], target)

    def raw_restore(self, source, work):
        data = os.path.join(work, 'data')
        os.makedirs(data)
        unpack(source, ['mbstream', '-x', '-C', data])
        run(['mariadb-backup', '--prepare', '--target-dir=' + data])


class PostgreSQL:
    name = 'postgresql'
    load = ('CREATE TABLE bench (id SERIAL PRIMARY KEY, payload TEXT)',
            'INSERT INTO bench (payload) SELECT string_agg(md5(random()'
            '::text || g::text || s::text), \'\') FROM generate_series(1, '
            '{rows}) s, generate_series(1, 32) g GROUP BY s')

    def __init__(self, instance_dir, volume_dir):
        self.dir = instance_dir
        self.volume_dir = volume_dir
        self.run_dir = os.path.join(instance_dir, 'run')

    def data_dir(self):
        return os.path.join(self.volume_dir, 'mount', 'data', 'pgdata')

    def raw_backup(self, target):
        password = open(os.path.join(self.run_dir,
                                     'os_admin.password')).read().strip()
        pipe_to_file([
            os.path.join(engines.find_postgresql().bin_dir,
                         'pg_basebackup'),
            '-h', os.path.join(self.run_dir, 'postgresql'), '-p', '5432',
            '-U', 'os_admin', '--no-password', '-D', '-', '-Ft',
            '-X', 'fetch', '-c', 'fast'], target,
            env=dict(os.environ, PGPASSWORD=password))

    def raw_restore(self, source, work):
        data = os.path.join(work, 'pgdata')
        os.makedirs(data, mode=0o700)
        unpack(source, ['tar', '-xf', '-', '-C', data])


ENGINES = {'mariadb': MariaDB, 'postgresql': PostgreSQL}


# Trove ----------------------------------------------------------------------
def load(datastore, address, statements):
    """Run ``statements`` as the bench user over the instance address."""
    if datastore == 'postgresql':
        import psycopg
        connection = psycopg.connect(host=address, user='bench',
                                     password='bench-pass-1',
                                     dbname='benchdb', autocommit=True)
    else:
        import pymysql
        connection = pymysql.connect(host=address, user='bench',
                                     password='bench-pass-1',
                                     database='benchdb', autocommit=True,
                                     read_timeout=3600)
    try:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
    finally:
        connection.close()


def wait_status(get, wanted, failed, timeout=1800, interval=0.25):
    """Poll until ``wanted``; not faster than ``interval``: on two cores
    every poll takes CPU from the backup being measured."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = get()
        if item.status == wanted:
            return item
        if item.status in failed:
            raise RuntimeError('%s: %s' % (item.status, getattr(
                item, 'description', None) or getattr(item, 'fault', None)))
        time.sleep(interval)
    raise TimeoutError('never %s' % wanted)


def create_instance(client, datastore, name, **kwargs):
    created = client.instances.create(name, flavor_id='2',
                                      volume={'size': 4},
                                      datastore=datastore, **kwargs)
    return wait_status(lambda: client.instances.get(created.id), 'ACTIVE',
                       ('ERROR',))


def bench_datastore(client, system, datastore, size_mb, runs, work):
    engine_class = ENGINES[datastore]
    source = create_instance(
        client, datastore, 'bench-src', databases=[{'name': 'benchdb'}],
        users=[{'name': 'bench', 'password': 'bench-pass-1',
                'databases': [{'name': 'benchdb'}]}])
    created = [source.id]
    engine = engine_class(system.instance_dir(source.id),
                          system.volume_dir(source.id))
    rows = size_mb * 1024      # about 1 KB of text per row
    load(datastore, source.ip[0], [statement.format(rows=rows)
                                   for statement in engine.load])
    data_mb = tree_bytes(engine.data_dir()) / MB
    times = {key: [] for key in ('raw_backup', 'api_backup', 'guest_backup',
                                 'raw_restore', 'api_restore',
                                 'guest_restore')}
    object_mb = []
    try:
        for number in range(runs):
            target = os.path.join(work, '%s-%d.gz' % (datastore, number))
            times['raw_backup'].append(timed(engine.raw_backup, target))
            start = time.monotonic()
            backup = client.backups.create('bench-%d' % number, source.id)
            backup = wait_status(
                lambda backup_id=backup.id: client.backups.get(backup_id),
                'COMPLETED', ('FAILED',))
            times['api_backup'].append(time.monotonic() - start)
            times['guest_backup'].append(guest_phase(
                system.instance_dir(source.id),
                'Backup %s (' % backup.id, 'Backup %s completed' % backup.id))
            object_mb.append(os.path.getsize(target) / MB)

            restore_dir = os.path.join(work, '%s-restore-%d' % (datastore,
                                                                number))
            times['raw_restore'].append(timed(engine.raw_restore, target,
                                              restore_dir))
            shutil.rmtree(restore_dir, ignore_errors=True)
            os.unlink(target)
            start = time.monotonic()
            restored = create_instance(client, datastore, 'bench-restored',
                                       restorePoint={'backupRef': backup.id})
            times['api_restore'].append(time.monotonic() - start)
            created.append(restored.id)
            times['guest_restore'].append(guest_phase(
                system.instance_dir(restored.id),
                'Restoring backup %s' % backup.id,
                'Backup %s unpacked' % backup.id))
            e2e_delete(client, [restored.id])
            created.remove(restored.id)
            client.backups.delete(backup.id)
    finally:
        e2e_delete(client, created)
    medians = {key: statistics.median(values)
               for key, values in times.items()}
    figures = {'data_dir_mb': round(data_mb, 1),
               'compressed_mb': round(statistics.median(object_mb), 1)}
    for key, seconds in medians.items():
        figures[key + '_s'] = round(seconds, 2)
        figures[key + '_mb_s'] = round(data_mb / seconds, 1)
    for phase in ('backup', 'restore'):
        figures[phase + '_ratio'] = round(
            medians['raw_' + phase] / medians['guest_' + phase], 2)
    return figures


def e2e_delete(client, ids):
    for instance_id in ids:
        client.instances.delete(instance_id)
    for instance_id in ids:
        e2e.wait_for_deleted(client, instance_id, timeout=300)


def report(datastore, figures):
    for phase in ('backup', 'restore'):
        print('%-10s %-7s raw %6.1f MB/s | trove guest %6.1f MB/s (%3.0f%% '
              'of raw) | trove API %6.1f MB/s  [%.0f MB data dir]' % (
                  datastore, phase, figures['raw_%s_mb_s' % phase],
                  figures['guest_%s_mb_s' % phase],
                  100 * figures[phase + '_ratio'],
                  figures['api_%s_mb_s' % phase], figures['data_dir_mb']),
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size-mb', type=int, default=256,
                        help='Rows to load per datastore, in MB.')
    parser.add_argument('--runs', type=int, default=1)
    parser.add_argument('--swift', action='store_true',
                        help='Store backups in a real Swift, not locally.')
    parser.add_argument('--datastores', default='mariadb,postgresql')
    args = parser.parse_args()

    vhost = rabbit.RabbitVhost()
    state_dir = tempfile.mkdtemp(prefix='trove-bk-')
    os.chmod(state_dir, 0o755)
    work = tempfile.mkdtemp(prefix='trove-bench-raw-')
    os.chmod(work, 0o755)
    system_class = SwiftTroveSystem if args.swift else e2e.TroveSystem
    system = system_class(state_dir, ports.free_port(), vhost.transport_url,
                          '127.79.0.0/16',
                          extra_options=['usage_sleep_time=1',
                                         'http_get_rate=100000',
                                         'http_post_rate=100000'])
    results = {'benchmark': 'backup', 'runs': args.runs,
               'size_mb': args.size_mb,
               'storage': 'swift' if args.swift else 'local',
               'gzip_level': GZIP_LEVEL}
    try:
        system.up()
        client = system.client('bench')
        for datastore in args.datastores.split(','):
            results[datastore] = bench_datastore(
                client, system, datastore, args.size_mb, args.runs, work)
            report(datastore, results[datastore])
    finally:
        system.down()
        shutil.rmtree(state_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        vhost.delete()
    print(json.dumps(results))


if __name__ == '__main__':
    main()
