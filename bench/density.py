"""Density: N small instances on one machine, all HEALTHY, and what they
cost.

Runs the whole system (trove-local: every service its own process, a
private RabbitMQ vhost, its state in a temporary directory, a MariaDB
control database of its own), creates a ``tiny`` flavor (``--ram`` MB:
MariaDB's buffer pool is half of it, 32 MB at least; PostgreSQL's
shared_buffers a quarter, 16 MB at least: the config templates' rules)
and ``--instances`` instances of it, the datastores of ``--datastores`` in
turn (half MariaDB, half PostgreSQL by default), posted in waves of
``--wave`` (each wave waited for), until every one is ACTIVE with
operating status HEALTHY. Then it measures:

* memory: RSS and PSS (``/proc/<pid>/smaps_rollup``: shared pages divided
  among the processes mapping them) of the guest agents and of the
  engines (each engine with every process it forked), by datastore, the
  control-plane services' RSS, and the machine's available memory before
  and after;
* heartbeats: every ``--sample-every`` seconds over ``--window`` seconds,
  the age of each instance's last status in the control database (the
  conductor's writes), read against the database's own clock: the largest
  age seen, against one report interval plus its slack; and the
  conductor's CPU over the window;
* the API: ``GET /instances`` walked page after page (and
  ``/instances/detail``), each request timed on a keep-alive connection,
  ``--requests`` in all: p50/p90/p99.

It prints the figures with their targets and one JSON line last, then
deletes every instance and checks that nothing is left: no process of
the run alive, no server or volume directory. Every process the run
starts is stopped by its pid on the way out, Ctrl-C and errors included
(``trove-local down``, then whatever pid it saw still alive).

    .venv/bin/python bench/density.py [--instances 100] [--datastores mariadb,postgresql]
        [--ram 64] [--wave 10] [--report-interval 10] [--window 30]
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import pathlib
import shutil
import signal
import statistics
import sys
import tempfile
import time

import psutil
import sqlalchemy as sa

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import provisioning  # noqa: E402
from bench.density_processes import (  # noqa: E402
    Pids, cpu_seconds, instance_memory, interrupt, loadavg, meminfo_mb,
    services_memory)
from tests.e2e import system as e2e  # noqa: E402
from tests.helpers import databases  # noqa: E402
from trove.common import daemon  # noqa: E402
from trove.compute.local import processes  # noqa: E402

PROJECT = 'bench-density'
TARGET_LIST_P90_MS = 100.0
# Free memory left to the machine with every instance up.
TARGET_AVAILABLE_FRACTION = 0.10
# A heartbeat is written by the conductor within a second of its
# arrival (conductor_heartbeat_steady_interval); allow that and a
# second of lag on top of the interval.
HEARTBEAT_SLACK_S = 2.0


class Api:
    """Plain GETs on one keep-alive connection (noauth: the project is in
    the path)."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection('127.0.0.1', port,
                                                     timeout=60)
        self.base = '/v1.0/%s' % PROJECT

    def get(self, path):
        """(milliseconds, body) of one GET; any status but 200 raises.
        A connection the server closed while idle is opened again (the
        retry is timed from its start)."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.connection.request(
                    'GET', self.base + path,
                    headers={'Accept': 'application/json'})
                response = self.connection.getresponse()
                body = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                self.connection.close()
                if attempt == 2:
                    raise
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError('GET %s: %d %s' % (path, response.status,
                                                  body[:300]))
        return elapsed, json.loads(body)

    def all_instances(self, detail=False, times=None):
        """Every instance of the project, following the next links."""
        path = '/instances/detail' if detail else '/instances'
        found, marker = [], None
        while True:
            elapsed, body = self.get(path + ('?marker=%s' % marker
                                             if marker else ''))
            if times is not None:
                times.append(elapsed)
            found += body['instances']
            links = [link for link in body.get('links', [])
                     if link.get('rel') == 'next']
            if not links:
                return found
            marker = links[0]['href'].split('marker=')[1].split('&')[0]

    def close(self):
        self.connection.close()


def wait_healthy(api, ids, timeout, pids):
    """Poll the list until every one of ``ids`` is ACTIVE and HEALTHY;
    seconds taken. An instance in ERROR fails the run."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        pids.scan()
        shown = {item['id']: item for item in api.all_instances()}
        failed = [i for i in ids if shown.get(i, {}).get('status')
                  == 'ERROR']
        if failed:
            faults = [(i, api.get('/instances/%s' % i)[1]['instance'].get(
                'fault')) for i in failed[:3]]
            raise RuntimeError('instances in ERROR: %s' % faults)
        waiting = [i for i in ids if (
            shown.get(i, {}).get('status'),
            shown.get(i, {}).get('operating_status')) != ('ACTIVE',
                                                        'HEALTHY')]
        if not waiting:
            return time.monotonic() - started
        if time.monotonic() > deadline:
            raise TimeoutError('%d of %d not ACTIVE and HEALTHY after %d s: '
                               '%s' % (len(waiting), len(ids), timeout,
                                       [(i, shown.get(i, {}).get('status'),
                                         shown.get(i, {}).get(
                                             'operating_status'))
                                        for i in waiting[:5]]))
        time.sleep(1)


def create_all(client, api, count, datastores, flavor_id, wave, timeout,
               pids):
    """{instance id: datastore} of ``count`` instances, created in waves
    of ``wave`` POSTs at once, each wave waited for."""
    created = {}
    for first in range(0, count, wave):
        indexes = range(first, min(first + wave, count))

        def post(index):
            datastore = datastores[index % len(datastores)]
            instance = provisioning.thread_instances(client).create(
                'density-%03d' % index, flavor_id=flavor_id,
                volume={'size': 1}, datastore=datastore)
            return instance.id, datastore

        with concurrent.futures.ThreadPoolExecutor(len(indexes)) as pool:
            posted = dict(pool.map(post, indexes))
        created.update(posted)
        took = wait_healthy(api, list(posted), timeout, pids)
        print('  %d/%d ACTIVE and HEALTHY (this wave: %.1f s, load %s)' % (
            len(created), count, took, loadavg()[0]), flush=True)
    return created


# Heartbeats ----------------------------------------------------------------------
def heartbeat_ages(control_db_url, ids, window, every, conductor_pid):
    """The ages of the instances' last statuses over ``window`` seconds:
    the largest and the median age at each reading, and the conductor's
    CPU share meanwhile."""
    engine = sa.create_engine(control_db_url)
    query = sa.text(
        'SELECT TIMESTAMPDIFF(MICROSECOND, updated_at, UTC_TIMESTAMP(6)) '
        'FROM service_statuses WHERE instance_id IN :ids').bindparams(
            sa.bindparam('ids', expanding=True))
    readings = []
    conductor = psutil.Process(conductor_pid)
    before = conductor.cpu_times()
    machine_before = psutil.cpu_times()
    started = time.monotonic()
    try:
        while time.monotonic() - started < window:
            with engine.connect() as connection:
                ages = [row[0] / 1e6 for row in connection.execute(
                    query, {'ids': list(ids)})]
            if len(ages) != len(ids):
                raise RuntimeError('%d status rows for %d instances'
                                   % (len(ages), len(ids)))
            readings.append((max(ages), statistics.median(ages)))
            time.sleep(every)
    finally:
        engine.dispose()
    elapsed = time.monotonic() - started
    after = conductor.cpu_times()
    cpu = (after.user + after.system - before.user - before.system)
    machine_after = psutil.cpu_times()
    idle_s = ((machine_after.idle + machine_after.iowait)
              - (machine_before.idle + machine_before.iowait))
    all_s = sum(machine_after) - sum(machine_before)
    return {'machine_busy': round(100.0 * (1 - idle_s / all_s), 1),
            'readings': len(readings),
            'max_age_s': round(max(r[0] for r in readings), 2),
            'median_age_s': round(statistics.median(r[1] for r in readings),
                                  2),
            'conductor_cpu_percent': round(100.0 * cpu / elapsed, 1)}


def list_latency(api, requests):
    """p50/p90/p99 in ms of ``requests`` GETs walking the pages of
    /instances and /instances/detail in turn."""
    api.all_instances()   # warm: statements built, connection open
    times = []
    detail = False
    while len(times) < requests:
        api.all_instances(detail=detail, times=times)
        detail = not detail
    times = times[:requests]
    return {'requests': len(times),
            'p50_ms': round(provisioning.percentile(times, 0.5), 1),
            'p90_ms': round(provisioning.percentile(times, 0.9), 1),
            'p99_ms': round(provisioning.percentile(times, 0.99), 1),
            'max_ms': round(max(times), 1)}


# Cleanup ----------------------------------------------------------------------
def delete_all(client, api, ids, timeout=600):
    for instance_id in ids:
        client.instances.delete(instance_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = {item['id'] for item in api.all_instances()} & set(ids)
        if not left:
            return
        time.sleep(2)
    raise TimeoutError('%d instances still listed after %d s'
                       % (len(left), timeout))


def leftovers(system, pids):
    """What the deletes left behind: live processes of the instances and
    server or volume directories."""
    found = {}
    state_dir = system.state_dir
    for kind in ('instances', 'volumes'):
        path = os.path.join(state_dir, kind)
        entries = sorted(os.listdir(path)) if os.path.isdir(path) else []
        # Dot entries are the host's own (the data directory templates,
        # server groups), not an instance's.
        entries = [e for e in entries if not e.startswith('.')
                   and os.path.isdir(os.path.join(path, e))]
        if entries:
            found[kind + '_dirs'] = entries
    services = set()
    run_dir = os.path.join(state_dir, 'run')
    for name in os.listdir(run_dir):
        if name.endswith('.pid'):
            pid = daemon.read_pid(os.path.join(run_dir, name))
            if pid:
                services.add(pid)
                services.update(processes.descendants([pid]))
    alive = [pid for pid in pids.alive() if pid not in services]
    if alive:
        found['processes'] = [(pid, ' '.join(psutil.Process(
            pid).cmdline())[:120]) for pid in alive]
    return found


def _print_target(label, value, target, met):
    print('%-44s %-28s target %-22s %s' % (label, value, target,
                                           'met' if met else 'MISSED'),
          flush=True)


def measure(args, system, client, api, instances, results):
    time.sleep(args.settle)
    memory = instance_memory(system, instances)
    results['memory'] = memory
    results['services_rss_mb'] = services_memory(system.state_dir)
    results['meminfo_mb_after'] = meminfo_mb()
    for kind, figures in memory.items():
        print('%-20s %3d instances, %4d processes: RSS %8.1f MB, PSS '
              '%8.1f MB (%.1f MB each)' % (
                  kind, figures['instances'], figures['processes'],
                  figures['rss_mb'], figures['pss_mb'],
                  figures['pss_mb_each']), flush=True)
    print('control plane RSS: %s' % ', '.join(
        '%s %.0f MB' % item for item in results['services_rss_mb'].items()),
        flush=True)
    total_pss = sum(f['pss_mb'] for f in memory.values())
    results['instances_pss_mb'] = round(total_pss, 1)
    available = results['meminfo_mb_after']['available']
    total = results['meminfo_mb_after']['total']
    _print_target('machine memory available with all up',
                  '%d of %d MB' % (available, total),
                  '> %d%% of RAM' % (TARGET_AVAILABLE_FRACTION * 100),
                  available > TARGET_AVAILABLE_FRACTION * total)
    print('  (before the instances: %d MB available; instances\' PSS '
          'total %.0f MB)' % (results['meminfo_mb_before']['available'],
                              total_pss), flush=True)

    conductor_pid = daemon.read_pid(os.path.join(
        system.state_dir, 'run', 'trove-conductor.pid'))
    cpu_before, started = cpu_seconds(system, instances), time.monotonic()
    beats = heartbeat_ages(args.control_db_url, list(instances),
                           args.window, args.sample_every, conductor_pid)
    elapsed = time.monotonic() - started
    cpu_after = cpu_seconds(system, instances)
    idle = {kind: round(100.0 * (cpu_after[kind] - cpu_before[kind])
                        / elapsed, 1) for kind in cpu_after}
    results['idle_cpu_percent'] = idle
    limit = args.report_interval + HEARTBEAT_SLACK_S
    beats['target_max_age_s'] = limit
    beats['within_target'] = beats['max_age_s'] <= limit
    results['heartbeats'] = beats
    _print_target('heartbeats: oldest status age over %ds' % args.window,
                  '%.2f s (median %.2f s)' % (beats['max_age_s'],
                                              beats['median_age_s']),
                  '<= %.0f s (interval + %.0f)' % (limit, HEARTBEAT_SLACK_S),
                  beats['within_target'])
    print('  conductor CPU over the window: %.1f%% of a core (%d instances,'
          ' one heartbeat each per %d s)' % (
              beats['conductor_cpu_percent'], len(instances),
              args.report_interval), flush=True)
    print('  CPU of the idle instances over the window, %% of a core: '
          'agents %.1f, engines %.1f, control plane %.1f (machine: %.0f%% '
          'busy, both cores)' % (idle['agents'], idle['engines'],
                                 idle['services'], beats['machine_busy']),
          flush=True)

    latency = list_latency(api, args.requests)
    latency['target_p90_ms'] = TARGET_LIST_P90_MS
    latency['within_target'] = latency['p90_ms'] <= TARGET_LIST_P90_MS
    results['list_latency'] = latency
    _print_target('GET /instances pages (and /detail), c=1',
                  'p50 %.1f / p90 %.1f / p99 %.1f ms' % (
                      latency['p50_ms'], latency['p90_ms'],
                      latency['p99_ms']),
                  'p90 <= %.0f ms' % TARGET_LIST_P90_MS,
                  latency['within_target'])


def run(args, results, state_parent):
    with e2e.temporary_system(
            'trove-dens-', control_db=args.control_db_url,
            report_interval=args.report_interval,
            heartbeat_expiry=args.heartbeat_expiry,
            extra_options=['http_get_rate=100000000',
                           'http_post_rate=100000000',
                           'http_delete_rate=100000000',
                           'max_instances_per_tenant=%d' % (
                               args.instances + 10),
                           'max_volumes_per_tenant=%d' % (
                               args.instances + 10),
                           'usage_timeout=900',
                           'mariadb.usage_timeout=900',
                           'postgresql.usage_timeout=900'] + args.set
            ) as system:
        pids = Pids(system.state_dir)
        api = None
        try:
            system.up()
            pids.scan()
            client = system.client(PROJECT)
            api = Api(system.api_port)
            flavor_id = system.create_flavor('tiny', args.ram, disk=1)
            results['flavor'] = {'id': flavor_id, 'ram_mb': args.ram,
                                 'mariadb_buffer_pool_mb': max(
                                     args.ram // 2, 32),
                                 'postgresql_shared_buffers_mb': max(
                                     args.ram // 4, 16)}
            started = time.monotonic()
            instances = {}
            try:
                instances = create_all(
                    client, api, args.instances,
                    args.datastores.split(','), flavor_id, args.wave,
                    args.timeout, pids)
                results['create_all_s'] = round(time.monotonic() - started,
                                                1)
                print('%d instances ACTIVE and HEALTHY in %.0f s' % (
                    len(instances), results['create_all_s']), flush=True)
                measure(args, system, client, api, instances, results)
                # Every one still HEALTHY after the measurements.
                wait_healthy(api, list(instances), 60, pids)
                results['all_healthy_after'] = True
            finally:
                pids.scan()
                ids = [item['id'] for item in api.all_instances()]
                started = time.monotonic()
                delete_all(client, api, ids)
                results['delete_all_s'] = round(time.monotonic() - started,
                                                1)
            left = leftovers(system, pids)
            results['left_after_delete'] = left
            print('deleted %d instances in %.0f s; left behind: %s' % (
                len(ids), results['delete_all_s'], left or 'nothing'),
                flush=True)
        finally:
            if api is not None:
                api.close()
            pids.scan()
            try:
                system.down()
            finally:
                stopped = pids.stop_leftovers()
                results['stopped_by_pid_after_down'] = stopped
                if stopped:
                    print('stopped by pid after trove-local down: %s'
                          % stopped, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', type=int, default=100)
    parser.add_argument('--datastores', default='mariadb,postgresql',
                        help='Taken in turn (one: all of it).')
    parser.add_argument('--ram', type=int, default=64,
                        help='RAM of the tiny flavor in MB.')
    parser.add_argument('--wave', type=int, default=10,
                        help='Creates posted at once, each wave waited for.')
    parser.add_argument('--report-interval', type=int, default=10,
                        help="Seconds between a guest's heartbeats "
                             "(trove-local's default).")
    parser.add_argument('--heartbeat-expiry', type=int, default=60)
    parser.add_argument('--settle', type=float, default=10.0,
                        help='Seconds after the last instance is HEALTHY '
                             'before measuring.')
    parser.add_argument('--window', type=float, default=30.0,
                        help='Seconds of heartbeat readings.')
    parser.add_argument('--sample-every', type=float, default=1.0)
    parser.add_argument('--requests', type=int, default=200)
    parser.add_argument('--timeout', type=float, default=900.0,
                        help='Seconds a wave may take.')
    parser.add_argument('--set', action='append', default=[],
                        metavar='OPT=VAL', help='More trove.conf options.')
    args = parser.parse_args()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    # Ctrl-C unwinds too when the shell started the bench with SIGINT
    # ignored (in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    results = {'benchmark': 'density', 'instances': args.instances,
               'datastores': args.datastores.split(','),
               'report_interval_s': args.report_interval,
               'cpus': os.cpu_count(), 'load_before': loadavg(),
               'meminfo_mb_before': meminfo_mb()}
    state_parent = tempfile.mkdtemp(prefix='trove-bench-density-db-')
    control_db = databases.TestDatabase('mysql', state_parent)
    args.control_db_url = control_db.url
    try:
        run(args, results, state_parent)
    finally:
        control_db.drop()
        shutil.rmtree(state_parent, ignore_errors=True)
    results['load_after'] = loadavg()
    clean = not results.get('left_after_delete') and not results.get(
        'stopped_by_pid_after_down')
    results['clean_after'] = clean
    print('cleanup: %s' % ('nothing left (no process, no directory)'
                           if clean else 'LEFTOVERS, see the JSON'),
          flush=True)
    print(json.dumps(results))


if __name__ == '__main__':
    main()
