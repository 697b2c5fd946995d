"""Replication figures next to the raw tools, in the same run.

Runs the whole system (trove-local: every service its own process, real
RabbitMQ, local backup storage), then for MariaDB and PostgreSQL:

* fills a primary with ``--size-mb`` of rows;
* raw: the tool the guest uses backs the primary up into a file and
  restores it into a data directory (as bench/backup.py does): what any
  replica build costs at least;
* replica build: ``POST /instances`` with ``replica_of`` until ACTIVE
  (a snapshot of the primary, the restore, the engine started and
  caught up), next to the raw backup + restore;
* lag: a writer inserts ``--rate`` rows a second on the primary; for a
  sample of them, the time until the replica holds them (p50, p95, max);
* promotion write gap: ``--promotions`` planned switchovers under a
  writer that inserts numbered rows as fast as it can into whichever
  member takes them; the gap is the time from its last acknowledged
  commit on the old primary to its first on the new one, measured as a
  client sees it, and every acknowledged row is looked for on the new
  primary afterwards (lost rows: target 0). Median, p95 and max.

The last line printed is one JSON object with every figure.

    .venv/bin/python bench/replication.py [--size-mb 64] [--promotions 5]
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import threading
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / 'bench'))

import backup as raw_tools  # noqa: E402
from tests.e2e import sql_logins  # noqa: E402
from tests.e2e import system as e2e  # noqa: E402
from tests.helpers import ports  # noqa: E402
from tests.helpers import rabbit  # noqa: E402

USER, PASSWORD, DATABASE = 'bench', 'bench-pass-1', 'benchdb'


def sql(datastore, address, statement, connection=None):
    """Run one statement as the bench user; its rows, if any."""
    own = connection is None
    if own:
        connection = sql_logins.login(datastore, address, USER, PASSWORD,
                                      DATABASE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else None
    finally:
        if own:
            connection.close()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(values):
    return {'p50': round(statistics.median(values), 3),
            'p95': round(percentile(values, 0.95), 3),
            'max': round(max(values), 3)}


# Replica build --------------------------------------------------------------
def build_figures(client, system, datastore, size_mb, work):
    primary = raw_tools.create_instance(
        client, datastore, 'bench-primary',
        databases=[{'name': DATABASE}],
        users=[{'name': USER, 'password': PASSWORD,
                'databases': [{'name': DATABASE}]}])
    engine = raw_tools.ENGINES[datastore](system.instance_dir(primary.id),
                                          system.volume_dir(primary.id))
    raw_tools.load(datastore, primary.ip[0], [
        statement.format(rows=size_mb * 1024) for statement in engine.load])
    sql(datastore, primary.ip[0], 'CREATE TABLE marks (id INT PRIMARY KEY, '
                                  'at DOUBLE PRECISION)')
    data_mb = raw_tools.tree_bytes(engine.data_dir()) / raw_tools.MB
    target = os.path.join(work, datastore + '.gz')
    raw_backup = raw_tools.timed(engine.raw_backup, target)
    restore_dir = os.path.join(work, datastore + '-restore')
    raw_restore = raw_tools.timed(engine.raw_restore, target, restore_dir)
    shutil.rmtree(restore_dir, ignore_errors=True)
    os.unlink(target)
    start = time.monotonic()
    made = client.instances.create('bench-replica', replica_of=primary.id)
    replica = raw_tools.wait_status(lambda: client.instances.get(made.id),
                                    'ACTIVE', ('ERROR',))
    build = time.monotonic() - start
    figures = {'data_dir_mb': round(data_mb, 1),
               'raw_backup_s': round(raw_backup, 2),
               'raw_restore_s': round(raw_restore, 2),
               'raw_backup_restore_s': round(raw_backup + raw_restore, 2),
               'replica_build_s': round(build, 2),
               'build_over_raw': round(build / (raw_backup + raw_restore),
                                       2)}
    return primary, replica, figures


# Lag ------------------------------------------------------------------------
def lag_figures(datastore, primary, replica, rate, seconds):
    """Seconds from a committed insert on the primary to its presence on
    the replica, for one row in ten."""
    p_conn = sql_logins.login(datastore, primary.ip[0], USER, PASSWORD,
                              DATABASE)
    r_conn = sql_logins.login(datastore, replica.ip[0], USER, PASSWORD,
                              DATABASE)
    lags = []
    try:
        interval = 1.0 / rate
        next_at = time.monotonic()
        for number in range(int(rate * seconds)):
            sql(datastore, None, 'INSERT INTO marks VALUES (%d, %f)'
                % (number, time.time()), p_conn)
            committed = time.monotonic()
            if number % 10 == 0:
                while not sql(datastore, None, 'SELECT 1 FROM marks WHERE '
                              'id = %d' % number, r_conn):
                    if time.monotonic() - committed > 60:
                        raise RuntimeError('row %d never replicated'
                                           % number)
                    time.sleep(0.001)
                lags.append(time.monotonic() - committed)
            next_at += interval
            time.sleep(max(next_at - time.monotonic(), 0))
    finally:
        p_conn.close()
        r_conn.close()
    return summary(lags)


# Promotions -----------------------------------------------------------------
class Writer:
    """Inserts numbered rows into whichever of the addresses takes them,
    recording (number, address, commit time) of every acknowledged one."""

    def __init__(self, datastore, addresses, table):
        self.datastore = datastore
        self.addresses = addresses
        self.table = table
        self.acknowledged = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(60)

    def _run(self):
        number = 0
        connections = {}
        while not self._stop.is_set():
            number += 1
            for address in self.addresses:
                try:
                    if address not in connections:
                        connections[address] = sql_logins.login(
                            self.datastore, address, USER, PASSWORD,
                            DATABASE)
                    sql(self.datastore, None, 'INSERT INTO %s VALUES (%d)'
                        % (self.table, number), connections[address])
                except Exception:
                    connection = connections.pop(address, None)
                    if connection is not None:
                        try:
                            connection.close()
                        except Exception:
                            pass
                    continue
                self.acknowledged.append((number, address, time.time()))
                break
            else:
                time.sleep(0.01)


def promotion_figures(client, datastore, primary, replica, count):
    gaps, lost = [], 0
    members = [primary, replica]
    for run in range(count):
        old, new = members
        table = 'acked_%d' % run
        sql(datastore, old.ip[0], 'CREATE TABLE %s (id INT PRIMARY KEY)'
            % table)
        time.sleep(1)          # the table is on the replica too
        writer = Writer(datastore, [old.ip[0], new.ip[0]], table)
        writer.start()
        time.sleep(2)
        client.instances.promote_to_replica_source(new.id)
        for member in members:
            raw_tools.wait_status(lambda m=member: client.instances.get(
                m.id), 'ACTIVE', ('ERROR',), timeout=600)
        time.sleep(2)
        writer.stop()
        on_old = [t for _n, a, t in writer.acknowledged if a == old.ip[0]]
        on_new = [t for _n, a, t in writer.acknowledged if a == new.ip[0]]
        if not on_old or not on_new:
            raise RuntimeError('the writer committed on the old primary %d '
                               'times and on the new one %d times'
                               % (len(on_old), len(on_new)))
        gaps.append(min(on_new) - max(on_old))
        present = {row[0] for row in sql(datastore, new.ip[0],
                                         'SELECT id FROM %s' % table)}
        lost += len({n for n, _a, _t in writer.acknowledged} - present)
        print('%s promotion %d: write gap %.2f s, %d rows acknowledged'
              % (datastore, run + 1, gaps[-1], len(writer.acknowledged)),
              flush=True)
        rejoined = getattr(client.instances.get(old.id), 'replica_of', None)
        if not rejoined:
            raise RuntimeError('the old primary %s did not rejoin: %s' % (
                old.id, getattr(client.instances.get(old.id), 'fault',
                                None)))
        members = [new, old]
    figures = {'write_gap_s': summary(gaps), 'acknowledged_rows_lost': lost,
               'promotions': count}
    return figures, members


def bench_datastore(client, system, datastore, args, work):
    primary, replica, figures = build_figures(client, system, datastore,
                                              args.size_mb, work)
    created = [replica.id, primary.id]
    if args.keep_state:
        created = []      # leave them for a post-mortem
    try:
        figures['lag_s'] = lag_figures(datastore, primary, replica,
                                       args.rate, args.lag_seconds)
        promoted, members = promotion_figures(client, datastore, primary,
                                              replica, args.promotions)
        figures.update(promoted)
        if not args.keep_state:
            created = [members[1].id, members[0].id]
    finally:
        if created:
            raw_tools.e2e_delete(client, created[:1])
            raw_tools.e2e_delete(client, created[1:])
    return figures


def report(datastore, figures):
    print('%-10s replica build %6.1f s | raw backup + restore %6.1f s '
          '(%.1fx) [%.0f MB data dir]' % (
              datastore, figures['replica_build_s'],
              figures['raw_backup_restore_s'], figures['build_over_raw'],
              figures['data_dir_mb']), flush=True)
    print('%-10s lag under %s: p50 %.3f s, p95 %.3f s, max %.3f s' % (
        datastore, 'writes', figures['lag_s']['p50'],
        figures['lag_s']['p95'], figures['lag_s']['max']), flush=True)
    gap = figures['write_gap_s']
    print('%-10s promotion write gap over %d runs: p50 %.2f s, p95 %.2f s, '
          'max %.2f s; acknowledged rows lost: %d' % (
              datastore, figures['promotions'], gap['p50'], gap['p95'],
              gap['max'], figures['acknowledged_rows_lost']), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size-mb', type=int, default=64,
                        help='Rows to load into the primary, in MB.')
    parser.add_argument('--rate', type=int, default=50,
                        help='Inserts per second of the lag phase.')
    parser.add_argument('--lag-seconds', type=int, default=10)
    parser.add_argument('--promotions', type=int, default=5)
    parser.add_argument('--datastores', default='mariadb,postgresql')
    parser.add_argument('--keep-state', action='store_true',
                        help='Keep the state directory (logs) afterwards.')
    args = parser.parse_args()

    vhost = rabbit.RabbitVhost()
    state_dir = tempfile.mkdtemp(prefix='trove-repl-')
    os.chmod(state_dir, 0o755)
    work = tempfile.mkdtemp(prefix='trove-bench-raw-')
    os.chmod(work, 0o755)
    system = e2e.TroveSystem(state_dir, ports.free_port(),
                             vhost.transport_url, '127.81.0.0/16',
                             extra_options=['usage_sleep_time=1',
                                            'http_get_rate=100000',
                                            'http_post_rate=100000'])
    results = {'benchmark': 'replication', 'size_mb': args.size_mb,
               'rate': args.rate, 'promotions': args.promotions}
    try:
        system.up()
        client = system.client('bench')
        for datastore in args.datastores.split(','):
            results[datastore] = bench_datastore(client, system, datastore,
                                                 args, work)
            report(datastore, results[datastore])
    finally:
        system.down()
        if args.keep_state:
            print('state kept in', state_dir)
        else:
            shutil.rmtree(state_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        vhost.delete()
    print(json.dumps(results))


if __name__ == '__main__':
    main()
