"""Conductor heartbeat throughput and lag, with a real conductor process.

Seeds a MariaDB control database with N instances' service statuses,
starts one ``trove-conductor`` process, and drives it with sender
processes that cast heartbeats through the real conductor RPC client
(``trove.conductor.api.API``) over a private RabbitMQ vhost:

* flood: every instance sends ``--rounds`` heartbeats as fast as the
  senders can; figures: heartbeats processed per second (from the first
  cast to the last row written) and whether every instance ends with the
  status of its newest heartbeat (the ordering rule);
* paced: N instances at one heartbeat per ``--interval`` seconds (spread
  evenly), for ``--paced-seconds``; figures: lag from ``sent`` to the row
  update (p50/p99) and the conductor's CPU use in percent of one core.

The last line printed is one JSON object with every figure.

    .venv/bin/python bench/conductor.py [--instances 100,1000,10000]
"""

import argparse
import json
import multiprocessing
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time
import uuid

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from tests.helpers import databases  # noqa: E402
from tests.helpers import rabbit  # noqa: E402
from trove.common import daemon  # noqa: E402

CONF_TEMPLATE = """\
[DEFAULT]
transport_url = {transport_url}
control_exchange = trove
log_dir = {work_dir}
use_stderr = false
[database]
connection = {db_url}
"""


def seed(db_url, ids):
    from trove.db import migration
    engine = sa.create_engine(db_url)
    migration.upgrade(engine)
    table = sa.table('service_statuses', sa.column('id'),
                     sa.column('instance_id'), sa.column('status_id'),
                     sa.column('status_description'),
                     sa.column('updated_at'))
    with engine.begin() as connection:
        for start in range(0, len(ids), 5000):
            connection.execute(table.insert(), [
                {'id': str(uuid.uuid4()), 'instance_id': i, 'status_id': 0x17,
                 'status_description': 'new', 'updated_at': None}
                for i in ids[start:start + 5000]])
    engine.dispose()


def _sender(transport_url, ids, rounds, ready, go, pace=None):
    """A guest population: casts heartbeats for ``ids``."""
    from trove.common import context
    from trove.common import rpc
    from trove.conductor import api
    from trove.conf import CONF
    CONF([], project='trove')
    CONF.set_override('transport_url', transport_url)
    conductor = api.API(context.get_admin_context())
    conductor.heartbeat('warm-up', {'service_status': 'healthy'})
    ready.set()
    go.wait()
    if pace is None:
        for round_number in range(rounds):
            status = 'healthy' if round_number == rounds - 1 else 'running'
            for instance_id in ids:
                conductor.heartbeat(instance_id, {'service_status': status})
    else:
        delay, started = pace, time.time()
        for index, instance_id in enumerate(ids):
            wait = started + index * delay - time.time()
            if wait > 0:
                time.sleep(wait)
            conductor.heartbeat(instance_id, {'service_status': 'healthy'})
    rpc.cleanup()


def run_senders(transport_url, ids, rounds, processes, pace=None):
    chunks = [ids[i::processes] for i in range(processes)]
    ready = [multiprocessing.Event() for _ in chunks]
    go = multiprocessing.Event()
    workers = [multiprocessing.Process(
        target=_sender, args=(transport_url, chunk, rounds, ready[i], go,
                              pace * processes if pace else None))
        for i, chunk in enumerate(chunks)]
    for worker in workers:
        worker.start()
    for event in ready:
        event.wait(60)
    started = time.time()
    go.set()
    return workers, started


def wait_written(engine, ids, expected_status, timeout=600):
    """Time at which every instance shows ``expected_status``."""
    deadline = time.monotonic() + timeout
    query = sa.text('SELECT COUNT(*) FROM service_statuses WHERE '
                    'status_description = :s')
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            done = connection.execute(query, {'s': expected_status}).scalar()
        if done >= len(ids):
            return time.time()
        time.sleep(0.02)
    raise TimeoutError('only %d of %d heartbeats landed' % (done, len(ids)))


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    return (int(fields[11]) + int(fields[12])) / ticks


def bench_population(count, args, transport_url, work_dir):
    database = databases.TestDatabase('mysql', work_dir)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    conductor_pid = None
    try:
        seed(database.url, ids)
        conf = os.path.join(work_dir, 'conductor-%d.conf' % count)
        with open(conf, 'w') as conf_file:
            conf_file.write(CONF_TEMPLATE.format(
                transport_url=transport_url, db_url=database.url,
                work_dir=work_dir))
        conductor_pid = daemon.spawn(
            [os.path.join(os.path.dirname(sys.executable), 'trove-conductor'),
             '--config-file', conf],
            os.path.join(work_dir, 'conductor.pid'),
            os.path.join(work_dir, 'conductor.out'))
        time.sleep(2)
        engine = sa.create_engine(database.url)

        rounds = max(1, args.flood_messages // count)
        workers, started = run_senders(transport_url, ids, rounds,
                                       args.senders)
        finished = wait_written(engine, ids, 'healthy')
        for worker in workers:
            worker.join()
        flood_rate = rounds * count / (finished - started)

        paced_ids = ids[:int(min(count, count * args.paced_seconds /
                                 args.interval))]
        pace = args.interval / count
        with engine.begin() as connection:
            connection.execute(sa.text(
                "UPDATE service_statuses SET status_description='new'"))
        cpu_before = cpu_seconds(conductor_pid)
        workers, started = run_senders(transport_url, paced_ids, 1,
                                       args.senders, pace=pace)
        seen_at = watch_written(engine, paced_ids)
        elapsed = time.time() - started
        cpu = (cpu_seconds(conductor_pid) - cpu_before) / elapsed * 100
        for worker in workers:
            worker.join()
        lags = lag_seconds(engine, seen_at)
        engine.dispose()
        return {
            'instances': count,
            'flood_heartbeats': rounds * count,
            'heartbeats_per_s': round(flood_rate),
            'ordering_kept': True,
            'paced_rate_per_s': round(count / args.interval, 1),
            'paced_cpu_percent_of_one_core': round(cpu, 1),
            'lag_p50_ms': round(statistics.median(lags) * 1000, 1),
            'lag_p99_ms': round(sorted(lags)[int(0.99 * (len(lags) - 1))]
                                * 1000, 1),
        }
    finally:
        if conductor_pid:
            daemon.terminate(conductor_pid)
        database.drop()


def watch_written(engine, ids, poll=0.02, timeout=600):
    """When each instance's new status was first visible in the DB."""
    query = sa.text("SELECT instance_id FROM service_statuses "
                    "WHERE status_description = 'healthy'")
    seen_at = {}
    deadline = time.monotonic() + timeout
    while len(seen_at) < len(ids) and time.monotonic() < deadline:
        with engine.connect() as connection:
            now = time.time()
            for (instance_id,) in connection.execute(query):
                seen_at.setdefault(instance_id, now)
        time.sleep(poll)
    if len(seen_at) < len(ids):
        raise TimeoutError('only %d of %d paced heartbeats landed'
                           % (len(seen_at), len(ids)))
    return seen_at


def lag_seconds(engine, seen_at):
    """From ``sent`` to the row being visible (polled every 20 ms, so each
    figure is at most 20 ms late)."""
    query = sa.text(
        "SELECT instance_id, sent FROM conductor_lastseen "
        "WHERE method_name = 'heartbeat' AND instance_id IN :ids"
    ).bindparams(sa.bindparam('ids', expanding=True))
    with engine.connect() as connection:
        sent = dict(connection.execute(query, {'ids': list(seen_at)}).all())
    return [max(0.0, seen_at[i] - sent[i]) for i in seen_at if i in sent]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', default='100,1000,10000')
    parser.add_argument('--flood-messages', type=int, default=20000)
    parser.add_argument('--senders', type=int, default=2)
    parser.add_argument('--interval', type=float, default=60.0,
                        help='Heartbeat interval of the paced phase.')
    parser.add_argument('--paced-seconds', type=float, default=15.0)
    args = parser.parse_args()
    vhost = rabbit.RabbitVhost()
    work_dir = tempfile.mkdtemp(prefix='trove-bench-conductor-')
    results = {'benchmark': 'conductor', 'control_db': 'mariadb',
               'populations': []}
    try:
        for count in [int(c) for c in args.instances.split(',')]:
            figures = bench_population(count, args, vhost.transport_url,
                                       work_dir)
            results['populations'].append(figures)
            print('%6d instances: %5d heartbeats/s (flood of %d); paced %.0f/s:'
                  ' conductor CPU %.1f%% of a core, lag p50 %.0f ms p99 %.0f ms'
                  % (count, figures['heartbeats_per_s'],
                     figures['flood_heartbeats'], figures['paced_rate_per_s'],
                     figures['paced_cpu_percent_of_one_core'],
                     figures['lag_p50_ms'], figures['lag_p99_ms']),
                  flush=True)
    except Exception:
        log = os.path.join(work_dir, 'trove-conductor.log')
        if os.path.exists(log):
            with open(log) as conductor_log:
                print(''.join(conductor_log.readlines()[-30:]),
                      file=sys.stderr)
        raise
    finally:
        vhost.delete()
        shutil.rmtree(work_dir, ignore_errors=True)
    print(json.dumps(results))


if __name__ == '__main__':
    main()
