"""Point-in-time restore: its cost over the base backup's restore, and the
replay rate next to the engine's own replay of the same files.

Runs the whole system (trove-local, every service its own process, real
RabbitMQ, local storage) with a 2-second archive interval, then for
MariaDB and PostgreSQL:

* a full backup of an instance, then ``--size-mb`` of rows written after
  it (one transaction), archived as binary logs / WAL segments;
* ``base``: ``POST /instances`` restoring the backup alone, until ACTIVE
  (``api``) and the guest's restore phase from its log (``guest``);
* ``pitr``: the same with ``restoreTime: "latest"``: the backup plus the
  replay of every archived file after it; ``replay`` is the guest's phase
  from the download of the archive to the time reached (PostgreSQL: the
  engine's start, WAL replay and promotion; MariaDB: decoding and
  applying the binary logs);
* ``raw``: the engine's own replay of the same files, outside Trove:
  ``mariadb-binlog --start-position | mariadb`` into the base restore
  (MariaDB), ``postgres`` started on the unpacked base backup with a
  ``restore_command`` reading the files until it promotes (PostgreSQL).

``replay_mb`` is the uncompressed size of the files replayed; rates are
MB of it per second. The last line printed is one JSON object.

    .venv/bin/python bench/pitr.py [--size-mb 64] [--datastores mariadb,postgresql]
"""

import argparse
import gzip
import json
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / 'bench'))

import backup as backup_bench  # noqa: E402
from tests.e2e import system as e2e  # noqa: E402
from tests.helpers import ports  # noqa: E402
from trove.common import engines  # noqa: E402
from trove.guestagent.backup import pitr_postgresql  # noqa: E402

MB = backup_bench.MB
INTERVAL = 2


def window_covers(client, instance_id, moment):
    import datetime
    view = client.instances.get(instance_id)._info['restorable_window']
    if not view['latest']:
        return False
    latest = datetime.datetime.fromisoformat(
        view['latest'].replace('Z', '+00:00')).timestamp()
    return latest >= moment


def archived_files(system, instance_id, work, first=None):
    """The archived files of the source (seq >= ``first``), unpacked into
    ``work``; returns their paths in order."""
    connection = sqlite3.connect(os.path.join(system.state_dir,
                                              'trove.sqlite'))
    try:
        found = connection.execute(
            "SELECT name, location, seq FROM pitr_archives WHERE "
            "instance_id = ? AND state = 'archived' ORDER BY seq",
            (instance_id,)).fetchall()
    finally:
        connection.close()
    os.makedirs(work, exist_ok=True)
    paths = []
    for name, location, seq in found:
        if first is not None and seq < first:
            continue
        path = os.path.join(work, name)
        with gzip.open(location[len('file://'):], 'rb') as source, \
                open(path, 'wb') as target:
            shutil.copyfileobj(source, target)
        paths.append(path)
    return paths


def size_mb(paths):
    return sum(os.path.getsize(p) for p in paths) / MB


def backup_metadata(backup):
    path = backup.locationRef[len('file://'):] + '.meta.json'
    with open(path) as meta:
        return json.load(meta)


# The engines' own replay --------------------------------------------------------
def raw_mariadb(system, base_id, files):
    run_dir = os.path.join(system.instance_dir(base_id), 'run')
    data_dir = os.path.join(system.volume_dir(base_id), 'mount', 'data')
    with open(os.path.join(data_dir, 'xtrabackup_binlog_info')) as info:
        first, position = info.read().split()[:2]
    chosen = [p for p in files if os.path.basename(p) >= first]
    password = open(os.path.join(run_dir,
                                 'os_admin.password')).read().strip()
    start = time.monotonic()
    decode = subprocess.Popen(
        ['mariadb-binlog', '--start-position=%s' % position] + chosen,
        stdout=subprocess.PIPE, env=dict(os.environ, TZ='UTC'))
    apply = subprocess.run(
        ['mariadb', '--socket=%s' % os.path.join(run_dir, 'mysqld',
                                                 'mysqld.sock'),
         '--user=os_admin', '--binary-mode'], stdin=decode.stdout,
        capture_output=True, env=dict(os.environ, MYSQL_PWD=password))
    decode.stdout.close()
    if decode.wait() or apply.returncode:
        raise RuntimeError('raw replay failed: %s' % apply.stderr[-500:])
    return time.monotonic() - start, size_mb(chosen)


def raw_postgresql(backup, files, work):
    data = os.path.join(work, 'pgdata')
    os.makedirs(data, mode=0o700)
    backup_bench.unpack(backup.locationRef[len('file://'):],
                        ['tar', '-xf', '-', '-C', data])
    for leftover in ('postmaster.pid', 'postgresql.auto.conf'):
        if os.path.exists(os.path.join(data, leftover)):
            os.unlink(os.path.join(data, leftover))
    with open(os.path.join(data, 'postgresql.conf'), 'w') as conf:
        conf.write('')
    with open(os.path.join(data, 'pg_hba.conf'), 'w') as hba:
        hba.write('local all all trust\n')
    open(os.path.join(data, 'recovery.signal'), 'w').close()
    wal_dir = os.path.dirname(files[0])
    socket_dir = tempfile.mkdtemp(prefix='pitr-sock-')
    bin_dir = engines.find_postgresql().bin_dir
    log_path = os.path.join(work, 'postgres.log')
    as_user = {}
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: as the guests' engine user.
        import pwd
        account = pwd.getpwnam('postgres')
        for path in (work, wal_dir, socket_dir):
            for root, dirs, names in os.walk(path):
                for name in [root] + [os.path.join(root, n)
                                      for n in dirs + names]:
                    os.chown(name, account.pw_uid, account.pw_gid)
        as_user = {'user': account.pw_uid, 'group': account.pw_gid}
    start = time.monotonic()
    server = subprocess.Popen(
        [os.path.join(bin_dir, 'postgres'), '-D', data,
         '-c', 'port=%d' % ports.free_port(), '-c', 'listen_addresses=',
         '-c', 'unix_socket_directories=%s' % socket_dir,
         '-c', 'hba_file=%s' % os.path.join(data, 'pg_hba.conf'),
         '-c', 'archive_mode=off',
         '-c', "restore_command=cp %s/%%f %%p" % wal_dir,
         '-c', 'recovery_target_action=promote'],
        stdout=subprocess.DEVNULL, stderr=open(log_path, 'wb'), **as_user)
    try:
        import psycopg
        while True:
            if server.poll() is not None:
                raise RuntimeError('postgres stopped during the replay: %s'
                                   % open(log_path).read()[-1500:])
            try:
                with psycopg.connect(host=socket_dir, user='os_admin',
                                     dbname='postgres',
                                     port=_pid_port(data)) as connection:
                    if not connection.execute(
                            'SELECT pg_is_in_recovery()').fetchone()[0]:
                        break
            except Exception:
                pass
            time.sleep(0.1)
        return time.monotonic() - start
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
        shutil.rmtree(socket_dir, ignore_errors=True)


def _pid_port(data):
    with open(os.path.join(data, 'postmaster.pid')) as pid_file:
        return int(pid_file.read().splitlines()[3])


# The scenario -------------------------------------------------------------------
def bench_datastore(client, system, datastore, mb, work):
    engine = backup_bench.ENGINES[datastore]
    source = backup_bench.create_instance(
        client, datastore, 'pitr-src', databases=[{'name': 'benchdb'}],
        users=[{'name': 'bench', 'password': 'bench-pass-1',
                'databases': [{'name': 'benchdb'}]}])
    created = [source.id]
    try:
        backup_bench.load(datastore, source.ip[0], engine.load[:1])
        backup = client.backups.create('pitr-base', source.id)
        backup = backup_bench.wait_status(
            lambda: client.backups.get(backup.id), 'COMPLETED', ('FAILED',))
        time.sleep(INTERVAL)
        backup_bench.load(datastore, source.ip[0],
                          [engine.load[1].format(rows=mb * 1024)])
        written = time.time()
        wait_until(lambda: window_covers(client, source.id, written),
                   timeout=600)

        figures = {}
        for kind, point in (('base', {'backupRef': backup.id}),
                            ('pitr', {'instanceRef': source.id,
                                      'restoreTime': 'latest'})):
            start = time.monotonic()
            restored = backup_bench.create_instance(
                client, datastore, 'pitr-' + kind, restorePoint=point)
            figures['api_%s_s' % kind] = round(time.monotonic() - start, 2)
            created.append(restored.id)
            figures['guest_%s_s' % kind] = round(backup_bench.guest_phase(
                system.instance_dir(restored.id),
                'Restoring backup %s' % backup.id,
                'Backup %s restored' % backup.id), 2)
            if kind == 'base':
                base_id = restored.id
        replay = backup_bench.guest_phase(
            system.instance_dir(created[-1]), 'Downloaded',
            'Point-in-time restore reached')
        files_dir = os.path.join(work, datastore + '-files')
        if datastore == 'mariadb':
            files = archived_files(system, source.id, files_dir)
            raw, replay_mb = raw_mariadb(system, base_id, files)
        else:
            stop = backup_metadata(backup)['stop_wal_file']
            files = archived_files(system, source.id, files_dir,
                                   first=pitr_postgresql.wal_seq(stop))
            replay_mb = size_mb(files)
            raw = raw_postgresql(backup, files, os.path.join(
                work, datastore + '-raw'))
        figures.update(
            replay_mb=round(replay_mb, 1), guest_replay_s=round(replay, 2),
            raw_replay_s=round(raw, 2),
            guest_replay_mb_s=round(replay_mb / replay, 1),
            raw_replay_mb_s=round(replay_mb / raw, 1),
            pitr_over_base_s=round(figures['api_pitr_s']
                                   - figures['api_base_s'], 2))
        return figures
    finally:
        backup_bench.e2e_delete(client, created)


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise TimeoutError('the archive never covered the writes')



def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size-mb', type=int, default=64,
                        help='Rows written after the backup, in MB.')
    parser.add_argument('--datastores', default='mariadb,postgresql')
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix='trove-bench-pitr-')
    os.chmod(work, 0o755)
    results = {'benchmark': 'pitr', 'size_mb': args.size_mb,
               'interval_s': INTERVAL}
    try:
        with e2e.temporary_system(
                'trove-pitr-',
                extra_options=['usage_sleep_time=1', 'http_get_rate=100000',
                               'http_post_rate=100000',
                               'archive_timeout=%d' % INTERVAL,
                               'binlog_archive_interval=%d' % INTERVAL]
        ) as system:
            system.up()
            client = system.client('bench')
            for datastore in args.datastores.split(','):
                figures = bench_datastore(client, system, datastore,
                                          args.size_mb, work)
                results[datastore] = figures
                print('%-10s restore base %6.1f s, to latest %6.1f s '
                      '(+%.1f s) | replay %.1f MB: guest %.1f MB/s, engine '
                      'alone %.1f MB/s'
                      % (datastore, figures['api_base_s'],
                         figures['api_pitr_s'], figures['pitr_over_base_s'],
                         figures['replay_mb'], figures['guest_replay_mb_s'],
                         figures['raw_replay_mb_s']), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results))


if __name__ == '__main__':
    main()
