"""Conductor scale-out: heartbeat rate of one conductor against two.

The flood of ``bench/conductor.py`` (its helpers are reused): N instances'
service statuses are seeded in a fresh MariaDB control database, the
conductor processes (real ``trove-conductor``, one or two, consuming the
same topic) are paused while sender processes cast ``--flood-messages``
heartbeats through the real conductor RPC client over a private RabbitMQ
vhost, then resumed; the rate is counted from the resume until every row
shows its newest status and the conductors took their last message (the
last moment they worked, the broker then confirming their queue is empty:
``conductor.wait_finished``). The
ordering rule is checked with two conductors too (the newest heartbeat and
a stale one of an instance may go to different conductors).

One and two conductors alternate ``--repeats`` times (this machine's
speed drifts within minutes); the medians give the ratio, printed with
the target (two conductors >= 1.8x one). The last line printed is one
JSON object with every figure.

    .venv/bin/python bench/conductor_scale.py [--instances 1000]
        [--flood-messages 20000] [--repeats 2] [--set OPT=VAL]
"""

import argparse
import json
import os
import pathlib
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from bench import conductor as conductor_bench  # noqa: E402
from tests.helpers import databases  # noqa: E402
from tests.helpers import rabbit  # noqa: E402
from trove.common import daemon  # noqa: E402

TARGET_RATIO = 1.8


def flood(conductors, count, args, vhost, work_dir):
    """Heartbeats per second with ``conductors`` conductor processes."""
    database = databases.TestDatabase('mysql', work_dir)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    pids = []
    try:
        conductor_bench.seed(database.url, ids)
        for index in range(conductors):
            conf = os.path.join(work_dir, 'conductor-%d.conf' % index)
            log_dir = os.path.join(work_dir, 'logs-%d' % index)
            os.makedirs(log_dir, exist_ok=True)
            with open(conf, 'w') as conf_file:
                conf_file.write(conductor_bench.CONF_TEMPLATE.format(
                    transport_url=vhost.transport_url, db_url=database.url,
                    work_dir=log_dir, options='\n'.join(args.set)))
            pids.append(daemon.spawn(
                [os.path.join(os.path.dirname(sys.executable),
                              'trove-conductor'), '--config-file', conf],
                os.path.join(work_dir, 'conductor-%d.pid' % index),
                os.path.join(log_dir, 'conductor.out')))
        time.sleep(3)
        engine = sa.create_engine(database.url)
        rounds = max(1, args.flood_messages // count - 1)
        heartbeats = (rounds + 1) * count
        # Paused while the senders cast: the figure is the conductors'
        # throughput, not shared with the senders' CPU.
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        workers, _started = conductor_bench.run_senders(
            vhost.transport_url, ids, rounds, args.senders)
        for worker in workers:
            worker.join()
        cpu_before = [conductor_bench.cpu_seconds(pid) for pid in pids]
        others_before = {name: conductor_bench.cpu_seconds(pid)
                         for name, pid in servers().items()}
        machine_before = machine_cpu()
        started = time.time()
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        written = conductor_bench.wait_written(engine, ids, 'healthy')
        finished = conductor_bench.wait_finished(pids, vhost,
                                                 'trove-conductor', written)
        elapsed = finished - started
        cpu = [round((conductor_bench.cpu_seconds(pid) - before)
                     / elapsed * 100, 1)
               for pid, before in zip(pids, cpu_before)]
        busy, total = (after - before for after, before in
                       zip(machine_cpu(), machine_before))
        others = {name: round((conductor_bench.cpu_seconds(pid)
                               - others_before[name]) / elapsed * 100, 1)
                  for name, pid in servers().items()
                  if name in others_before}
        statuses = conductor_bench.status_counts(engine)
        engine.dispose()
        return {
            'conductors': conductors,
            'heartbeats': heartbeats,
            'heartbeats_per_s': round(heartbeats / elapsed),
            'conductor_cpu_percent_of_one_core': cpu,
            'ordering_kept': (statuses.get('healthy') == count
                              and 'shutdown' not in statuses),
            'deadlocks_logged': _deadlocks(work_dir, conductors),
            # The conductors' own cost: the same with two if they scale.
            'conductor_cpu_ms_per_heartbeat': round(
                sum(cpu) / 100 * elapsed / heartbeats * 1000, 3),
            # Of the whole machine (100% = every core busy), and the
            # shared servers' share (percent of one core).
            'machine_busy_percent': round(busy / total * 100, 1),
            'servers_cpu_percent_of_one_core': others,
        }
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
            daemon.terminate(pid)
        database.drop()


def _deadlocks(work_dir, conductors):
    found = 0
    for index in range(conductors):
        log_dir = os.path.join(work_dir, 'logs-%d' % index)
        for name in os.listdir(log_dir):
            with open(os.path.join(log_dir, name), errors='replace') as log:
                found += log.read().count('Deadlock')
    return found


def machine_cpu():
    """(busy, total) jiffies of every core since boot."""
    with open('/proc/stat') as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def servers():
    """pid of the broker and of the control DB server (read only): the
    longest-running process of each name (rabbitmqctl runs a beam.smp of
    its own, guests run mariadbd; pids wrap, start times do not)."""
    found = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % pid) as stat:
                head, tail = stat.read().rsplit(')', 1)
            name = head.split('(', 1)[1]
            started = int(tail.split()[19])
        except (OSError, IndexError, ValueError):
            continue
        if name in ('beam.smp', 'mariadbd') and (
                name not in found or started < found[name][0]):
            found[name] = (started, int(pid))
    return {name: pid for name, (_started, pid) in found.items()}


def loadavg():
    with open('/proc/loadavg') as load:
        return [float(value) for value in load.read().split()[:3]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', type=int, default=1000)
    parser.add_argument('--flood-messages', type=int, default=20000)
    parser.add_argument('--senders', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--set', action='append', default=[],
                        metavar='OPT=VAL',
                        help='A [DEFAULT] option for the conductors.')
    args = parser.parse_args()
    vhost = rabbit.RabbitVhost()
    work_dir = tempfile.mkdtemp(prefix='trove-bench-cscale-')
    results = {'benchmark': 'conductor_scale', 'control_db': 'mariadb',
               'instances': args.instances, 'options': args.set,
               'cpus': os.cpu_count(), 'load_before': loadavg(),
               'runs': []}
    try:
        for _repeat in range(args.repeats):
            for conductors in (1, 2):
                figures = flood(conductors, args.instances, args, vhost,
                                work_dir)
                results['runs'].append(figures)
                print('%d conductor(s): %5d heartbeats/s (flood of %d, '
                      'ordering %s, conductor CPU %s%% of a core, '
                      '%d deadlocks logged; %.2f ms of conductor CPU per '
                      'heartbeat; machine %.0f%% busy; %s)'
                      % (conductors, figures['heartbeats_per_s'],
                         figures['heartbeats'],
                         'kept' if figures['ordering_kept'] else 'BROKEN',
                         '/'.join(str(c) for c in figures[
                             'conductor_cpu_percent_of_one_core']),
                         figures['deadlocks_logged'],
                         figures['conductor_cpu_ms_per_heartbeat'],
                         figures['machine_busy_percent'],
                         ', '.join('%s %.0f%%' % item for item in sorted(
                             figures['servers_cpu_percent_of_one_core']
                             .items()))), flush=True)
    finally:
        vhost.delete()
        shutil.rmtree(work_dir, ignore_errors=True)
    one = statistics.median(r['heartbeats_per_s'] for r in results['runs']
                            if r['conductors'] == 1)
    two = statistics.median(r['heartbeats_per_s'] for r in results['runs']
                            if r['conductors'] == 2)
    cost = {n: statistics.median(r['conductor_cpu_ms_per_heartbeat']
                                 for r in results['runs']
                                 if r['conductors'] == n) for n in (1, 2)}
    results.update({'conductor_cpu_ms_per_heartbeat_one': cost[1],
                    'conductor_cpu_ms_per_heartbeat_two': cost[2],
                    'one_conductor_per_s': round(one),
                    'two_conductors_per_s': round(two),
                    'ratio': round(two / one, 2),
                    'target_ratio': TARGET_RATIO,
                    'within_target': two / one >= TARGET_RATIO,
                    'load_after': loadavg()})
    print('two conductors / one: %d / %d heartbeats/s = %.2fx '
          '(target: >= %.1fx: %s)' % (two, one, two / one, TARGET_RATIO,
                                      'met' if results['within_target']
                                      else 'MISSED'), flush=True)
    print('conductor CPU per heartbeat: %.2f ms with one, %.2f ms with two '
          '(equal: the rate scales with the CPU the conductors get)'
          % (cost[1], cost[2]), flush=True)
    print(json.dumps(results))


if __name__ == '__main__':
    main()
