"""Provisioning speed: create -> ACTIVE next to the raw engine start time.

Runs the whole system (trove-local: every service its own process, real
RabbitMQ, a MariaDB control DB unless ``--control-db sqlite``), then for
MariaDB and PostgreSQL:

* raw: initialise a data directory and start the engine until it accepts a
  connection, by hand, as the engine's OS user (what any provisioning must
  at least do);
* trove: POST /instances through python-troveclient until the instance is
  ACTIVE.

Each is measured ``--runs`` times (median printed). With ``--concurrent N``
it also creates N instances at once and reports the total time, the
per-instance p50/p90 and the resident memory of the control-plane
processes. The last line printed is one JSON object with every figure.

    .venv/bin/python bench/provisioning.py [--runs 5] [--concurrent 10]
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e import system as e2e  # noqa: E402
from tests.helpers import databases  # noqa: E402
from tests.helpers import ports  # noqa: E402
from tests.helpers import rabbit  # noqa: E402
from trove.common import daemon  # noqa: E402
from trove.common import engines  # noqa: E402

# create->ACTIVE may exceed the raw engine init+start by this much.
TARGET_OVERHEAD_S = 2.0


def _as_user(user):
    return ['runuser', '-u', user, '--'] if os.getuid() == 0 else []


def _wait_tcp(host, port, timeout=60):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.01)
    raise TimeoutError('%s:%d never answered' % (host, port))


def start_raw_mariadb(work_dir, address, buffer_pool='64M'):
    """Initialise a data directory and start mariadbd on ``address``:3306
    as the guest agent does (its own tmpdir: concurrent bootstraps sharing
    /tmp remove each other's files); returns the launcher's pid file once
    the engine accepts a connection."""
    engine = engines.find_mariadb()
    data = os.path.join(work_dir, 'data')
    tmp = os.path.join(work_dir, 'tmp')
    os.makedirs(tmp, exist_ok=True)
    if os.getuid() == 0:
        shutil.chown(work_dir, 'mysql', 'mysql')
        shutil.chown(tmp, 'mysql', 'mysql')
    subprocess.run(_as_user('mysql') + [
        'mariadb-install-db', '--no-defaults', '--datadir=' + data,
        '--auth-root-authentication-method=socket', '--skip-test-db',
        '--tmpdir=' + tmp],
        check=True, capture_output=True)
    pid_file = os.path.join(work_dir, 'mysqld.pid')
    launcher = os.path.join(work_dir, 'launcher.pid')
    daemon.spawn(_as_user('mysql') + [
        os.path.join(engine.bin_dir, 'mariadbd'), '--no-defaults',
        '--datadir=' + data, '--bind-address=' + address, '--port=3306',
        '--socket=' + os.path.join(work_dir, 'mysqld.sock'),
        '--pid-file=' + pid_file,
        '--innodb-buffer-pool-size=' + buffer_pool,
        '--tmpdir=' + tmp, '--skip-name-resolve'],
        launcher, os.path.join(work_dir, 'mysqld.log'))
    _wait_tcp(address, 3306)
    return launcher


def stop_raw_mariadb(launcher):
    daemon.terminate(daemon.read_pid(launcher))


def raw_mariadb(work_dir, address):
    start = time.monotonic()
    launcher = start_raw_mariadb(work_dir, address)
    elapsed = time.monotonic() - start
    stop_raw_mariadb(launcher)
    return elapsed


def raw_postgresql(work_dir, address):
    engine = engines.find_postgresql()
    data = os.path.join(work_dir, 'pgdata')
    os.makedirs(work_dir, exist_ok=True)
    if os.getuid() == 0:
        shutil.chown(work_dir, 'postgres', 'postgres')
    start = time.monotonic()
    subprocess.run(_as_user('postgres') + [
        # Synced to disk, as the guest agent's initdb is: a data directory
        # lost in a crash right after provisioning is no provisioning.
        os.path.join(engine.bin_dir, 'initdb'), '-D', data, '-A', 'trust',
        '-U', 'postgres'], check=True, capture_output=True)
    subprocess.run(_as_user('postgres') + [
        os.path.join(engine.bin_dir, 'pg_ctl'), '-D', data, '-l',
        os.path.join(work_dir, 'pg.log'), '-o',
        '-c listen_addresses=%s -c port=5432 -k %s' % (address, work_dir),
        '-w', 'start'], check=True, capture_output=True)
    _wait_tcp(address, 5432)
    elapsed = time.monotonic() - start
    subprocess.run(_as_user('postgres') + [
        os.path.join(engine.bin_dir, 'pg_ctl'), '-D', data, '-m',
        'immediate', 'stop'], capture_output=True)
    return elapsed


def trove_create(client, datastore, name, system):
    start = time.monotonic()
    created = thread_instances(client).create(
        name, flavor_id='1', volume={'size': 1}, datastore=datastore)
    while True:
        instance = client.instances.get(created.id)
        if instance.status == 'ACTIVE':
            break
        if instance.status == 'ERROR':
            raise RuntimeError('instance failed: %s'
                               % getattr(instance, 'fault', None))
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    return created.id, elapsed


def delete_all(client, ids):
    for instance_id in ids:
        client.instances.delete(instance_id)
    for instance_id in ids:
        e2e.wait_for_deleted(client, instance_id)


def rss_mb(pids):
    total = 0
    for pid in pids:
        try:
            with open('/proc/%d/status' % pid) as status:
                for line in status:
                    if line.startswith('VmRSS:'):
                        total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024.0, 1)


def control_plane_pids(state_dir):
    """The services and their worker processes (children)."""
    run_dir = os.path.join(state_dir, 'run')
    pids = [daemon.read_pid(os.path.join(run_dir, name))
            for name in os.listdir(run_dir) if name.endswith('.pid')]
    pids = [p for p in pids if p]
    children = []
    for pid in pids:
        try:
            with open('/proc/%d/task/%d/children' % (pid, pid)) as kids:
                children += [int(k) for k in kids.read().split()]
        except OSError:
            pass
    return pids + children


def thread_instances(client):
    """An instances manager of its own for a thread: troveclient's
    managers keep per-call state (the completion cache) that threads
    sharing one would trip over."""
    return type(client.instances)(client.instances.api)


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--concurrent', type=int, default=0,
                        help='Also create this many instances at once.')
    parser.add_argument('--datastores', default='mariadb,postgresql')
    parser.add_argument('--control-db', choices=['mysql', 'sqlite'],
                        default='mysql',
                        help='Control DB backend (mysql: a fresh database '
                             'on the local MariaDB server).')
    args = parser.parse_args()

    vhost = rabbit.RabbitVhost()
    state_dir = tempfile.mkdtemp(prefix='trove-bench-')
    os.chmod(state_dir, 0o755)
    control_db = databases.TestDatabase(args.control_db, state_dir)
    system = e2e.TroveSystem(state_dir, ports.free_port(),
                             vhost.transport_url, '127.77.0.0/16',
                             # Polling every 50 ms is far past the
                             # default GET rate limit.
                             extra_options=['usage_sleep_time=1',
                                            'http_get_rate=100000000'],
                             control_db=control_db.url)
    results = {'benchmark': 'provisioning', 'runs': args.runs,
               'control_db': args.control_db}
    try:
        system.up()
        client = system.client('bench')
        raw_work = tempfile.mkdtemp(prefix='trove-bench-raw-')
        os.chmod(raw_work, 0o755)
        raw_functions = {'mariadb': raw_mariadb,
                         'postgresql': raw_postgresql}
        for datastore in args.datastores.split(','):
            raw_times, trove_times = [], []
            for run in range(args.runs):
                raw_times.append(raw_functions[datastore](
                    os.path.join(raw_work, '%s-%d' % (datastore, run)),
                    '127.78.0.%d' % (run + 1)))
                instance_id, elapsed = trove_create(
                    client, datastore, 'bench-%s-%d' % (datastore, run),
                    system)
                trove_times.append(elapsed)
                delete_all(client, [instance_id])
            results[datastore] = {
                'raw_init_start_s': round(statistics.median(raw_times), 2),
                'create_to_active_s': round(statistics.median(trove_times),
                                            2),
            }
            results[datastore]['overhead_s'] = round(
                results[datastore]['create_to_active_s']
                - results[datastore]['raw_init_start_s'], 2)
            results[datastore]['within_target'] = (
                results[datastore]['overhead_s'] <= TARGET_OVERHEAD_S)
            print('%-10s raw init+start %.2fs  create->ACTIVE %.2fs '
                  '(median of %d; target: within %.0f s of raw: %s)'
                  % (datastore, results[datastore]['raw_init_start_s'],
                     results[datastore]['create_to_active_s'], args.runs,
                     TARGET_OVERHEAD_S,
                     'met' if results[datastore]['within_target']
                     else 'MISSED'), flush=True)
        shutil.rmtree(raw_work, ignore_errors=True)

        if args.concurrent:
            results['concurrent'] = concurrent_creates(
                client, system, args.concurrent)
    finally:
        system.down()
        control_db.drop()
        shutil.rmtree(state_dir, ignore_errors=True)
        vhost.delete()
    print(json.dumps(results))


def concurrent_creates(client, system, count):
    rss_before = rss_mb(control_plane_pids(system.state_dir))
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(trove_create, client, 'mariadb',
                               'bench-concurrent-%d' % i, system)
                   for i in range(count)]
        outcomes = [f.result() for f in futures]
    total = time.monotonic() - start
    rss_after = rss_mb(control_plane_pids(system.state_dir))
    times = [elapsed for _id, elapsed in outcomes]
    delete_all(client, [instance_id for instance_id, _e in outcomes])
    figures = {
        'instances': count,
        'total_s': round(total, 2),
        'p50_s': round(percentile(times, 0.5), 2),
        'p90_s': round(percentile(times, 0.9), 2),
        'control_plane_rss_mb_before': rss_before,
        'control_plane_rss_mb_during': rss_after,
    }
    print('%d concurrent MariaDB creates: total %.2fs, p50 %.2fs, p90 %.2fs, '
          'control plane RSS %.0f MB' % (count, total, figures['p50_s'],
                                        figures['p90_s'], rss_after),
          flush=True)
    return figures


if __name__ == '__main__':
    main()
