"""Conductor heartbeat throughput and lag, with a real conductor process.

Seeds a MariaDB control database with N instances' service statuses,
starts one ``trove-conductor`` process, and drives it with sender
processes that cast heartbeats through the real conductor RPC client
(``trove.conductor.api.API``) over a private RabbitMQ vhost:

* flood: every instance sends ``--flood-messages`` / N heartbeats as fast
  as the senders can; figures: heartbeats processed per second (from the first
  cast until the conductor's queue is empty) and whether every instance
  ends with the status of its newest heartbeat although each last sends a
  stale one after it (the ordering rule, ``conductor_lastseen``);
* paced: N instances at one heartbeat per ``--interval`` seconds (spread
  evenly), for ``--paced-seconds``; figures: lag from ``sent`` to the row
  update (p50/p99) and the conductor's CPU use in percent of one core
  over the middle of the phase (its steady rate);
* changes: ``--changes`` of them then report a new status, one every
  20 ms; figure: lag from ``sent`` to the row (a repeated status may wait
  ``conductor_heartbeat_steady_interval``, a change only
  ``conductor_heartbeat_batch_interval``);
* floor: a do-nothing oslo.messaging server receiving the largest
  population's paced rate, for the CPU that is the messaging library's
  own per-message cost (the conductor cannot go below it).

The last line printed is one JSON object with every figure.

    .venv/bin/python bench/conductor.py [--instances 100,1000,10000]
"""

import argparse
import collections
import datetime
import json
import multiprocessing
import os
import pathlib
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import oslo_messaging  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.helpers import databases  # noqa: E402
from tests.helpers import rabbit  # noqa: E402
from trove.common import daemon  # noqa: E402
from trove.conf import conductor as conductor_conf  # noqa: E402

CONF_TEMPLATE = """\
[DEFAULT]
transport_url = {transport_url}
control_exchange = trove
log_dir = {work_dir}
use_stderr = false
{options}
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
    # Their instances' rows too, as a deployment has them: the conductor
    # looks an instance's message key up once and keeps the answer only
    # for a row that exists; without the row every heartbeat costs a read.
    from trove.db import models as db_models
    instances = db_models.Instance.__table__
    created = datetime.datetime.utcnow()
    with engine.begin() as connection:
        for start in range(0, len(ids), 5000):
            connection.execute(instances.insert(), [
                {'id': i, 'name': 'bench', 'tenant_id': 'bench',
                 'created': created, 'updated': created}
                for i in ids[start:start + 5000]])
            connection.execute(table.insert(), [
                {'id': str(uuid.uuid4()), 'instance_id': i, 'status_id': 0x17,
                 'status_description': 'new', 'updated_at': None}
                for i in ids[start:start + 5000]])
    engine.dispose()


def _sender(transport_url, ids, rounds, ready, go, pace=None,
            status='healthy'):
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
        for _round in range(rounds - 1):
            for instance_id in ids:
                conductor.heartbeat(instance_id, {'service_status': 'running'})
        # The last round: the newest heartbeat, then one sent a second
        # earlier that arrives after it (a delayed message). The ordering
        # rule must drop the latter: every row ends 'healthy', none 'shutdown'.
        for instance_id in ids:
            sent = time.time()
            conductor.heartbeat(instance_id, {'service_status': 'healthy'},
                                sent=sent)
            conductor.heartbeat(instance_id, {'service_status': 'shutdown'},
                                sent=sent - 1)
    else:
        delay, started = pace, time.time()
        for index, instance_id in enumerate(ids):
            wait = started + index * delay - time.time()
            if wait > 0:
                time.sleep(wait)
            conductor.heartbeat(instance_id, {'service_status': status})
    rpc.cleanup()


def run_senders(transport_url, ids, rounds, processes, pace=None,
                status='healthy'):
    chunks = [ids[i::processes] for i in range(processes)]
    ready = [multiprocessing.Event() for _ in chunks]
    go = multiprocessing.Event()
    workers = [multiprocessing.Process(
        target=_sender, args=(transport_url, chunk, rounds, ready[i], go,
                              pace * processes if pace else None, status))
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


# The end of a flood: the conductors' CPU over the last BUSY_WINDOW
# seconds (sampled every SAMPLE_SECONDS) below BUSY_CPU is idle; idle for
# IDLE_SECONDS, the broker is asked whether their queue is empty.
SAMPLE_SECONDS = 0.02
BUSY_WINDOW = 0.1
BUSY_CPU = 0.03
IDLE_SECONDS = 0.5


def wait_finished(pids, vhost, queue, since, timeout=600):
    """Time at which the conductors ``pids`` took their last message.

    Stale heartbeats leave no trace in the rows, so the broker tells when
    the queue is empty; but asking it runs ``rabbitmqctl``: 0.6 s and 0.75
    CPU-s here, which polling would count into the flood's time and take
    from the conductors' CPU, weighing most on the shortest floods. So
    the end is the last moment the conductors worked, once they have been
    idle a while, and the broker only confirms then that their queue is
    empty (if not, the conductors are waited for again; without a vhost
    of our own to ask, idle is taken as done)."""
    deadline = time.monotonic() + timeout
    last_busy = since
    while time.monotonic() < deadline:
        last_busy = _wait_idle(pids, last_busy, deadline)
        if not vhost.messages_in(queue):
            return last_busy
    raise TimeoutError('%s still holds messages' % queue)


def _wait_idle(pids, last_busy, deadline):
    """The last time ``pids`` were busy, once idle for IDLE_SECONDS."""
    window = collections.deque(maxlen=round(BUSY_WINDOW / SAMPLE_SECONDS))
    while time.monotonic() < deadline:
        now = time.time()
        window.append((now, sum(cpu_seconds(pid) for pid in pids)))
        if (len(window) == window.maxlen
                and window[-1][1] - window[0][1] >= BUSY_CPU):
            last_busy = now
        if now - last_busy >= IDLE_SECONDS:
            return last_busy
        time.sleep(SAMPLE_SECONDS)
    raise TimeoutError('the conductors are still busy')


def status_counts(engine):
    query = sa.text('SELECT status_description, COUNT(*) FROM '
                    'service_statuses GROUP BY status_description')
    with engine.connect() as connection:
        return dict(connection.execute(query).all())


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    return (int(fields[11]) + int(fields[12])) / ticks


class SteadyCpu:
    """A process's CPU in percent of one core over the middle of a paced
    phase (a second after it starts to a second before its senders end):
    the steady rate, without the start or the idle tail after the last
    heartbeat, which would dilute it."""

    def __init__(self, pid, started, seconds):
        self._pid = pid
        self._window = (started + 1, started + max(seconds - 1, 2))
        self._thread = threading.Thread(target=self._measure, daemon=True)
        self.percent = None
        self._thread.start()

    def _measure(self):
        begin, end = self._window
        time.sleep(max(0.0, begin - time.time()))
        before = cpu_seconds(self._pid)
        time.sleep(max(0.0, end - time.time()))
        self.percent = (cpu_seconds(self._pid) - before) / (end - begin) * 100

    def result(self):
        self._thread.join()
        return round(self.percent, 1)


def bench_population(count, args, vhost, work_dir):
    database = databases.TestDatabase('mysql', work_dir)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    conductor_pid = None
    try:
        seed(database.url, ids)
        conf = os.path.join(work_dir, 'conductor-%d.conf' % count)
        with open(conf, 'w') as conf_file:
            conf_file.write(CONF_TEMPLATE.format(
                transport_url=vhost.transport_url, db_url=database.url,
                work_dir=work_dir, options='\n'.join(args.set)))
        conductor_pid = daemon.spawn(
            [os.path.join(os.path.dirname(sys.executable), 'trove-conductor'),
             '--config-file', conf],
            os.path.join(work_dir, 'conductor.pid'),
            os.path.join(work_dir, 'conductor.out'))
        time.sleep(2)
        engine = sa.create_engine(database.url)

        # Each instance sends rounds - 1 heartbeats, then a newest and a
        # stale one: rounds + 1 in all.
        rounds = max(1, args.flood_messages // count - 1)
        flood_heartbeats = (rounds + 1) * count
        # The conductor is paused while the senders cast, so the figure is
        # its own throughput: on two cores, live senders take the CPU it
        # would use.
        os.kill(conductor_pid, signal.SIGSTOP)
        workers, _cast_started = run_senders(vhost.transport_url, ids,
                                             rounds, args.senders)
        for worker in workers:
            worker.join()
        flood_cpu_before = cpu_seconds(conductor_pid)
        started = time.time()
        os.kill(conductor_pid, signal.SIGCONT)
        written = wait_written(engine, ids, 'healthy')
        finished = wait_finished([conductor_pid], vhost, 'trove-conductor',
                                 written)
        flood_rate = flood_heartbeats / (finished - started)
        flood_cpu = ((cpu_seconds(conductor_pid) - flood_cpu_before)
                     / (finished - started) * 100)
        statuses = status_counts(engine)
        ordering_kept = (statuses.get('healthy') == count
                         and 'shutdown' not in statuses)

        paced_ids = ids[:int(min(count, count * args.paced_seconds /
                                 args.interval))]
        pace = args.interval / count
        with engine.begin() as connection:
            connection.execute(sa.text(
                "UPDATE service_statuses SET status_description='new'"))
        workers, started = run_senders(vhost.transport_url, paced_ids, 1,
                                       args.senders, pace=pace)
        steady_cpu = SteadyCpu(conductor_pid, started, args.paced_seconds)
        seen_at = watch_written(engine, paced_ids)
        cpu = steady_cpu.result()
        for worker in workers:
            worker.join()
        lags = lag_seconds(engine, seen_at)

        # Status changes: what a user waits for (BUILD to ACTIVE).
        changed_ids = paced_ids[:args.changes]
        workers, _started = run_senders(vhost.transport_url, changed_ids, 1,
                                        args.senders, pace=0.02,
                                        status='shutdown')
        change_lags = lag_seconds(
            engine, watch_written(engine, changed_ids, status='shutdown'))
        for worker in workers:
            worker.join()
        engine.dispose()
        return {
            'instances': count,
            'flood_heartbeats': flood_heartbeats,
            'heartbeats_per_s': round(flood_rate),
            'flood_cpu_percent_of_one_core': round(flood_cpu, 1),
            'ordering_kept': ordering_kept,
            'final_statuses': statuses,
            'paced_rate_per_s': round(count / args.interval, 1),
            'paced_cpu_percent_of_one_core': cpu,
            'lag_p50_ms': _ms(statistics.median(lags)),
            'lag_p99_ms': _ms(_p99(lags)),
            'status_changes': len(change_lags),
            'change_lag_p50_ms': _ms(statistics.median(change_lags)),
            'change_lag_p99_ms': _ms(_p99(change_lags)),
        }
    finally:
        if conductor_pid:
            daemon.terminate(conductor_pid)
        database.drop()


def _ms(seconds):
    return round(seconds * 1000, 1)


def _p99(values):
    return sorted(values)[int(0.99 * (len(values) - 1))]


def watch_written(engine, ids, poll=0.02, timeout=600, status='healthy'):
    """When each instance's new status was first visible in the DB."""
    query = sa.text("SELECT instance_id FROM service_statuses "
                    "WHERE status_description = :status"
                    ).bindparams(status=status)
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


class _NoopConductor:
    """Receives heartbeats and does nothing: what oslo.messaging alone
    costs per message."""
    target = oslo_messaging.Target(version='1.0')

    def __init__(self, counter):
        self.counter = counter

    def heartbeat(self, context, instance_id, payload, sent=None):
        with self.counter.get_lock():
            self.counter.value += 1


def _noop_server(transport_url, threads, counter):
    from trove.common import rpc
    from trove.conf import CONF
    CONF([], project='trove')
    CONF.set_override('transport_url', transport_url)
    server = rpc.get_server('trove-conductor', 'noop',
                            [_NoopConductor(counter)])
    server.start(override_pool_size=threads)
    signal.sigwait([signal.SIGTERM])
    server.stop()


def transport_floor(args, vhost, rate):
    """CPU of a do-nothing RPC server receiving ``rate`` heartbeats/s the
    way the conductor does: the part of the conductor's CPU that is the
    messaging library's, not its own."""
    default = next(option.default for option in conductor_conf.conductor_opts
                   if option.name == 'conductor_rpc_threads')
    threads = int(dict(option.split('=', 1) for option in args.set).get(
        'conductor_rpc_threads', default))
    counter = multiprocessing.Value('l', 0)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
    server = multiprocessing.Process(
        target=_noop_server, args=(vhost.transport_url, threads, counter))
    server.start()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    try:
        time.sleep(3)
        count = int(rate * args.paced_seconds)
        ids = [str(uuid.uuid4()) for _ in range(count)]
        workers, started = run_senders(vhost.transport_url, ids, 1,
                                       args.senders, pace=1.0 / rate)
        steady_cpu = SteadyCpu(server.pid, started, args.paced_seconds)
        for worker in workers:
            worker.join()
        while counter.value < count and time.time() - started < 600:
            time.sleep(0.02)
        return {'rate_per_s': round(rate, 1),
                'cpu_percent_of_one_core': steady_cpu.result()}
    finally:
        server.terminate()
        server.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', default='100,1000,10000')
    parser.add_argument('--flood-messages', type=int, default=20000)
    parser.add_argument('--senders', type=int, default=2)
    parser.add_argument('--interval', type=float, default=60.0,
                        help='Heartbeat interval of the paced phase.')
    parser.add_argument('--paced-seconds', type=float, default=15.0)
    parser.add_argument('--changes', type=int, default=200,
                        help='Instances that then report a new status, '
                             'one every 20 ms, for the lag of a change.')
    parser.add_argument('--set', action='append', default=[],
                        metavar='OPT=VAL',
                        help='A [DEFAULT] option for the conductor, e.g. '
                             'conductor_rpc_threads=1.')
    args = parser.parse_args()
    vhost = rabbit.RabbitVhost()
    work_dir = tempfile.mkdtemp(prefix='trove-bench-conductor-')
    results = {'benchmark': 'conductor', 'control_db': 'mariadb',
               'options': args.set, 'populations': []}
    try:
        for count in [int(c) for c in args.instances.split(',')]:
            figures = bench_population(count, args, vhost, work_dir)
            results['populations'].append(figures)
            last_rate = figures['paced_rate_per_s']
            print('%6d instances: %5d heartbeats/s (flood of %d, ordering '
                  '%s); paced %.0f/s: conductor CPU %.1f%% of a core, lag '
                  'p50 %.0f ms p99 %.0f ms; %d status changes: lag p50 %.0f '
                  'ms p99 %.0f ms'
                  % (count, figures['heartbeats_per_s'],
                     figures['flood_heartbeats'],
                     'kept' if figures['ordering_kept'] else 'BROKEN',
                     figures['paced_rate_per_s'],
                     figures['paced_cpu_percent_of_one_core'],
                     figures['lag_p50_ms'], figures['lag_p99_ms'],
                     figures['status_changes'],
                     figures['change_lag_p50_ms'],
                     figures['change_lag_p99_ms']),
                  flush=True)
        floor = transport_floor(args, vhost, last_rate)
        results['noop_rpc_server_paced'] = floor
        print('a no-op oslo.messaging server at %.0f/s: CPU %.1f%% of a core'
              % (floor['rate_per_s'], floor['cpu_percent_of_one_core']),
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
