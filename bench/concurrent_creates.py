"""Concurrent builds: N creates at once next to N raw engines at once.

Runs the whole system (trove-local: every service its own process, real
RabbitMQ on a private vhost, a MariaDB control DB), then in one run:

* raw: ``--raw`` MariaDB data directories initialised and started at the
  same moment (mariadb-install-db, then mariadbd until it accepts a
  connection, each in its own temporary directory on its own loopback
  address, as the guest agent does; ``bench/provisioning.py``'s
  ``start_raw_mariadb``), timed until the last one answers;
* the same number of ``POST /instances`` at once through
  python-troveclient, timed until the last one is ACTIVE; the ratio of the
  two, with the target (creates within 1.5x the raw engines);
* ``--many`` creates at once, all to ACTIVE: per-instance p50/p90 time to
  ACTIVE and the largest resident memory of the control-plane services
  (API master and workers, taskmanager, conductor) seen meanwhile.

Every instance uses a small flavor (``--ram`` MB: MariaDB's buffer pool is
half of it, 32 MB at least); the raw engines get the same buffer pool. One
poller lists the instances (rather than one GET loop per instance, which
would load the API it measures). The last line printed is one JSON object.

    .venv/bin/python bench/concurrent_creates.py [--raw 10] [--many 50]
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import threading
import time

import psutil

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import provisioning  # noqa: E402
from tests.e2e import system as e2e  # noqa: E402
from tests.helpers import databases  # noqa: E402
from trove.common import daemon  # noqa: E402
from trove.compute.local import processes  # noqa: E402

TARGET_RATIO = 1.5


def _cpu(process):
    """CPU seconds of a process and of its children it has reaped."""
    times = process.cpu_times()
    return (times.user + times.system + times.children_user
            + times.children_system)


def _reaped_cpu():
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raw_concurrent(count, buffer_pool):
    """Seconds until ``count`` engines started at once all answer, and
    the CPU seconds they took (mariadb-install-db and the servers)."""
    work = tempfile.mkdtemp(prefix='trove-bench-raw-')
    os.chmod(work, 0o755)
    pool = e2e.free_address_pool().split('.')[1]
    launchers = []
    cpu = 0.0
    try:
        reaped_before = _reaped_cpu()
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(count) as executor:
            futures = [executor.submit(
                provisioning.start_raw_mariadb,
                os.path.join(work, 'mariadb-%d' % i),
                '127.%s.0.%d' % (pool, i + 1), buffer_pool)
                for i in range(count)]
            for future in futures:
                launchers.append(future.result())
        elapsed = time.monotonic() - start
        cpu = _reaped_cpu() - reaped_before
        for launcher in launchers:
            pid = daemon.read_pid(os.path.join(os.path.dirname(launcher),
                                               'mysqld.pid'))
            try:
                cpu += _cpu(psutil.Process(pid))
            except (psutil.Error, TypeError):
                pass
    finally:
        with concurrent.futures.ThreadPoolExecutor(count) as executor:
            list(executor.map(provisioning.stop_raw_mariadb, launchers))
        shutil.rmtree(work, ignore_errors=True)
    return elapsed, cpu


SERVICE_KINDS = ('trove-api', 'trove-taskmanager', 'trove-conductor',
                 'mariadbd')


def _agent_pids(state_dir):
    """The guest agents' pids, from the instances' pid files: a forked
    agent's command line is its fork server's."""
    return {pid for pid in (
        processes.agent_pid(path) for path in processes.instance_dirs(
            os.path.join(state_dir, 'instances'))) if pid}


def _kind(process, cmdline, state_dir, agents):
    if process.info['pid'] in agents or (
            state_dir in cmdline and 'trove-guestagent' in cmdline):
        return 'trove-guestagent'
    if state_dir in cmdline:
        return next((kind for kind in SERVICE_KINDS if kind in cmdline),
                    None)
    if 'trove.cmd.guest_forkserver' in cmdline:
        # The taskmanager's: its imports are the agents' common part.
        parent = process.parent()
        if parent and state_dir in ' '.join(parent.cmdline()):
            return 'agent-forkserver'
    return None


def system_cpu(state_dir):
    """CPU seconds so far of the system's processes by kind: its services,
    the guest agents (with the commands they ran and reaped) and their
    fork server, the engines they started, and the shared broker and
    control DB server."""
    found = {}
    shared = {}
    agents = _agent_pids(state_dir)
    for process in psutil.process_iter(['pid', 'name', 'cmdline']):
        try:
            cmdline = ' '.join(process.info['cmdline'] or [])
            name = process.info['name']
            kind = _kind(process, cmdline, state_dir, agents)
            if kind:
                found[kind] = found.get(kind, 0.0) + _cpu(process)
                if kind == 'trove-guestagent':
                    # What the agents ran (mariadb-install-db...) apart
                    # from their own Python.
                    times = process.cpu_times()
                    found['agent-commands'] = found.get(
                        'agent-commands', 0.0) + (
                        times.children_user + times.children_system)
            elif name in ('beam.smp', 'mariadbd'):
                # The longest-running of each: the shared servers (pids
                # wrap; rabbitmqctl runs a beam.smp of its own).
                started = process.create_time()
                if name not in shared or started < shared[name][0]:
                    shared[name] = (started, _cpu(process))
        except psutil.Error:
            continue
    found['rabbitmq'] = shared.get('beam.smp', (0, 0.0))[1]
    found['control-db'] = shared.get('mariadbd', (0, 0.0))[1]
    return found


def cpu_delta(before, after):
    return {kind: round(after[kind] - before.get(kind, 0.0), 1)
            for kind in sorted(after)}


class RssWatch:
    """The largest resident memory of each control-plane service (its
    process and its workers) sampled every second."""

    def __init__(self, state_dir):
        self.run_dir = os.path.join(state_dir, 'run')
        self.peak = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self):
        figures = {}
        for name in os.listdir(self.run_dir):
            if not (name.startswith('trove-') and name.endswith('.pid')):
                continue
            pid = daemon.read_pid(os.path.join(self.run_dir, name))
            if not pid:
                continue
            pids = [pid]
            try:
                with open('/proc/%d/task/%d/children' % (pid, pid)) as kids:
                    pids += [int(k) for k in kids.read().split()]
            except OSError:
                pass
            figures[name[:-len('.pid')]] = provisioning.rss_mb(pids)
        return figures

    def _run(self):
        while not self._stop.is_set():
            for service, mb in self.sample().items():
                self.peak[service] = max(mb, self.peak.get(service, 0))
            self._stop.wait(1)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak


def create_at_once(client, count, flavor_id, prefix, timeout=900,
                   state_dir=None):
    """POST ``count`` instances at once; seconds from the first POST to the
    last ACTIVE, each instance's own time to ACTIVE and the CPU seconds
    of the system's processes meanwhile (by kind)."""
    cpu_before = system_cpu(state_dir) if state_dir else None
    posted = {}
    barrier = threading.Barrier(count)

    def create(index):
        barrier.wait()
        started = time.monotonic()
        instance = provisioning.thread_instances(client).create(
            '%s-%d' % (prefix, index), flavor_id=flavor_id,
            volume={'size': 1}, datastore='mariadb')
        posted[instance.id] = started

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(count) as executor:
        for future in [executor.submit(create, i) for i in range(count)]:
            future.result()
    active, failed = {}, {}
    deadline = time.monotonic() + timeout
    while len(active) + len(failed) < count:
        if time.monotonic() > deadline:
            raise TimeoutError('%d of %d ACTIVE after %d s'
                               % (len(active), count, timeout))
        now = time.monotonic()
        for instance in list_all(client):
            if instance.id not in posted or instance.id in active:
                continue
            if instance.status == 'ACTIVE':
                active[instance.id] = now
            elif instance.status == 'ERROR':
                failed[instance.id] = instance
        time.sleep(0.1)
    if failed:
        raise RuntimeError('%d instances failed: %s' % (
            len(failed), [getattr(i, 'fault', None)
                          for i in failed.values()][:3]))
    total = max(active.values()) - start
    times = [active[i] - posted[i] for i in active]
    cpu = (cpu_delta(cpu_before, system_cpu(state_dir)) if state_dir
           else None)
    return list(posted), total, times, cpu


def list_all(client):
    """Every instance of the project, page after page (a page holds at
    most ``instances_page_size``)."""
    marker = None
    while True:
        page = client.instances.list(limit=100, marker=marker)
        yield from page
        marker = getattr(page, 'next', None)
        if not marker:
            return


def delete_all(client, ids):
    for instance_id in ids:
        client.instances.delete(instance_id)
    for instance_id in ids:
        e2e.wait_for_deleted(client, instance_id, timeout=300)


def loadavg():
    with open('/proc/loadavg') as load:
        return [float(value) for value in load.read().split()[:3]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--raw', type=int, default=10,
                        help='Raw engines, then creates, at once.')
    parser.add_argument('--many', type=int, default=50,
                        help='Then this many creates at once (0: skip).')
    parser.add_argument('--ram', type=int, default=128,
                        help='Flavor RAM in MB (buffer pool: half).')
    parser.add_argument('--set', action='append', default=[],
                        metavar='OPT=VAL', help='More trove.conf options.')
    args = parser.parse_args()
    buffer_pool = '%dM' % max(args.ram // 2, 32)
    results = {'benchmark': 'concurrent_creates', 'control_db': 'mariadb',
               'cpus': os.cpu_count(), 'flavor_ram_mb': args.ram,
               'buffer_pool': buffer_pool, 'options': args.set,
               'load_before': loadavg()}
    most = max(args.raw, args.many)
    state_parent = tempfile.mkdtemp(prefix='trove-bench-cc-db-')
    control_db = databases.TestDatabase('mysql', state_parent)
    try:
        with e2e.temporary_system(
                'trove-bench-cc-', control_db=control_db.url,
                extra_options=['http_get_rate=100000000',
                               'http_post_rate=100000000',
                               'http_delete_rate=100000000',
                               'max_instances_per_tenant=%d' % (most + 10),
                               'max_volumes_per_tenant=%d' % (most + 10),
                               'usage_timeout=600',
                               'mariadb.usage_timeout=600'] + args.set
                ) as system:
            system.up()
            client = system.client('bench')
            flavor_id = system.create_flavor('bench', args.ram, disk=2)

            raw, raw_cpu = raw_concurrent(args.raw, buffer_pool)
            ids, total, times, cpu = create_at_once(
                client, args.raw, flavor_id, 'bench-cc',
                state_dir=system.state_dir)
            delete_all(client, ids)
            ratio = total / raw
            results['raw'] = {
                'engines': args.raw, 'raw_all_answering_s': round(raw, 2),
                'creates_all_active_s': round(total, 2),
                'create_p50_s': round(statistics.median(times), 2),
                'ratio': round(ratio, 2), 'target_ratio': TARGET_RATIO,
                'within_target': ratio <= TARGET_RATIO,
                'raw_cpu_s': round(raw_cpu, 1), 'creates_cpu_s': cpu}
            print('%d raw MariaDB engines at once: %.2fs; %d creates at once '
                  'to ACTIVE: %.2fs (p50 %.2fs); ratio %.2fx (target: <= '
                  '%.1fx: %s)' % (args.raw, raw, args.raw, total,
                                  statistics.median(times), ratio,
                                  TARGET_RATIO, 'met' if ratio <= TARGET_RATIO
                                  else 'MISSED'), flush=True)
            # agent-commands is the part of trove-guestagent's CPU its
            # commands took: not added twice.
            print('  CPU seconds: raw engines %.1f; creates %.1f (%s)' % (
                raw_cpu, sum(value for kind, value in cpu.items()
                             if kind != 'agent-commands'),
                ', '.join('%s %.1f' % item for item in cpu.items()
                          if item[0] != 'agent-commands')
                + '; of trove-guestagent, its commands %.1f'
                % cpu.get('agent-commands', 0.0)), flush=True)

            if args.many:
                watch = RssWatch(system.state_dir)
                before = watch.sample()
                ids, total, times, _cpu_s = create_at_once(
                    client, args.many, flavor_id, 'bench-many')
                peak = watch.stop()
                p50 = provisioning.percentile(times, 0.5)
                p90 = provisioning.percentile(times, 0.9)
                delete_all(client, ids)
                results['many'] = {
                    'instances': args.many, 'all_active': True,
                    'all_active_s': round(total, 2),
                    'p50_s': round(p50, 2), 'p90_s': round(p90, 2),
                    'control_plane_rss_mb_before': before,
                    'control_plane_rss_mb_peak': peak,
                    'control_plane_rss_mb_peak_total': round(
                        sum(peak.values()), 1)}
                print('%d creates at once: all ACTIVE in %.2fs, p50 %.2fs, '
                      'p90 %.2fs (target: all ACTIVE: met); control-plane '
                      'RSS peak %.0f MB (%s)' % (
                          args.many, total, p50, p90,
                          sum(peak.values()),
                          ', '.join('%s %.0f' % item
                                    for item in sorted(peak.items()))),
                      flush=True)
    finally:
        control_db.drop()
        shutil.rmtree(state_parent, ignore_errors=True)
    results['load_after'] = loadavg()
    print(json.dumps(results))


if __name__ == '__main__':
    main()
