"""Automatic failover figures, measured the way CloudNativePG's e2e test
measures them: in the data.

Runs the whole system (trove-local: every service its own process, real
RabbitMQ, real engines) with automatic failover on, then per engine:

* a primary (``auto_failover`` on) and two replicas;
* ``--runs`` times: 5 writers insert numbered rows, each with the
  server's identity (MariaDB ``@@server_id``, PostgreSQL
  ``inet_server_addr()``) and the server's clock, into whichever member
  takes them; the primary's engine (and everything it forked) is
  SIGKILLed; once a replica took over and the writers committed there
  for a second, the figures of the run are read:

  - write gap: from the last row committed on the old primary to the
    first on the new one, both read from the new primary's data;
  - detection, fencing, promotion: from the ``trove.instance.failover``
    notification (last good probe to confirmation; the provider's fence;
    the promotion);
  - acknowledged rows lost: rows a writer was told were committed that
    the new primary lacks (``--mode sync``, the default: target 0;
    async: bounded by ``max_lag_on_failover``).

  The fenced old primary is deleted and a new replica is built for the
  next run, so every run starts from a primary and two replicas.
* ``--switchovers`` planned promotions under the same writers: their
  write gap and acknowledged rows lost (target 0).

Prints p50, p95 and max of each figure; the last line is one JSON object.

    .venv/bin/python bench/failover.py [--runs 20] [--switchovers 5]
        [--mode sync|async] [--datastores mariadb,postgresql]
"""

import argparse
import json
import pathlib
import signal
import sys
import threading
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / 'bench'))

import replication as replication_bench  # noqa: E402
from tests.e2e import sql_logins  # noqa: E402
from tests.e2e import system as e2e  # noqa: E402
from tests.helpers import failover as helpers  # noqa: E402

# The replication bench's account: its sql() logs in with it.
USER, PASSWORD, DATABASE = (replication_bench.USER, replication_bench.PASSWORD,
                            replication_bench.DATABASE)
WRITERS = 5
INSERT = {
    'mariadb': 'INSERT INTO rows_%s VALUES (%d, @@server_id, '
               'UNIX_TIMESTAMP(NOW(6)))',
    'postgresql': 'INSERT INTO rows_%s VALUES (%d, '
                  'host(inet_server_addr()), '
                  'extract(epoch from clock_timestamp()))',
}
IDENTITY = {'mariadb': 'SELECT @@server_id',
            'postgresql': 'SELECT host(inet_server_addr())'}


def summary(values):
    """p50, p95, max of the figures that were measured (None: none)."""
    values = [v for v in values if v is not None]
    return replication_bench.summary(values) if values else None


class Writers:
    """``WRITERS`` threads inserting numbered rows (writer i: i, i + 5,
    ...) into whichever of ``addresses()`` takes them, on a persistent
    connection; records every acknowledged number."""

    def __init__(self, datastore, addresses, run):
        self.datastore = datastore
        self.addresses = addresses
        self.run = run
        self.acknowledged = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write, args=(i,),
                                          daemon=True)
                         for i in range(WRITERS)]

    def start(self):
        for thread in self._threads:
            thread.start()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _connect(self, first):
        """A connection to the first member from index ``first`` on that
        accepts one; (connection, index) or (None, first)."""
        addresses = self.addresses()
        for step in range(len(addresses)):
            index = (first + step) % len(addresses)
            try:
                return sql_logins.login(self.datastore, addresses[index],
                                        USER, PASSWORD, DATABASE), index
            except Exception:
                continue
        return None, first

    def _write(self, offset):
        number = offset
        connection, index = None, 0
        while not self._stop.is_set():
            if connection is None:
                connection, index = self._connect(index)
                if connection is None:
                    time.sleep(0.02)
                    continue
            number += WRITERS
            try:
                with connection.cursor() as cursor:
                    cursor.execute(INSERT[self.datastore] % (self.run,
                                                             number))
            except Exception:
                # Read-only (a replica, a fenced source) or dead: the
                # next member.
                try:
                    connection.close()
                except Exception:
                    pass
                connection, index = None, index + 1
                continue
            with self._lock:
                self.acknowledged.add(number)
        if connection is not None:
            connection.close()


class Bench:

    def __init__(self, system, client, listener, datastore, mode):
        self.mode = mode
        self.system = system
        self.client = client
        self.listener = listener
        self.datastore = datastore
        self.primary = None
        self.replicas = []
        self.gone = []

    def wait_active(self, instance_id, timeout=600):
        e2e.wait_for_instance(self.client, instance_id, timeout=timeout,
                              system=self.system)

    def address(self, instance_id):
        return self.client.instances.get(instance_id).ip[0]

    def members(self):
        return [self.primary] + self.replicas

    def addresses(self):
        return [self.address(m) for m in self.members()]

    def build(self):
        made = self.client.instances.create(
            'bench-fo-' + self.datastore, flavor_id='1', volume={'size': 1},
            datastore=self.datastore, databases=[{'name': DATABASE}],
            users=[{'name': USER, 'password': PASSWORD,
                    'databases': [{'name': DATABASE}]}])
        self.wait_active(made.id)
        self.primary = made.id
        self.add_replicas(2)
        self.client.client.put('/instances/%s' % self.primary, body={
            'instance': {'auto_failover': True,
                         'replication_mode': self.mode}})
        time.sleep(3)       # every member switches (taskmanager)

    def add_replicas(self, count):
        self.client.instances.create('bench-fo-r', flavor_id='1',
                                     volume={'size': 1},
                                     replica_of=self.primary,
                                     replica_count=count)
        self.replicas = self.current_replicas()
        for replica in self.replicas:
            self.wait_active(replica)

    def current_replicas(self):
        """The primary's replicas as its view lists them, less the
        instances this bench deleted: a fenced old primary rejoins as a
        replica and stays in the list until its delete completes."""
        return [r['id'] for r in self.client.instances.get(
            self.primary).replicas if r['id'] not in self.gone]

    def table(self, run):
        replication_bench.sql(self.datastore, self.address(self.primary),
            'CREATE TABLE rows_%s (id INT PRIMARY KEY, server VARCHAR(64), '
            'at DOUBLE PRECISION)' % run)
        time.sleep(1)       # on the replicas too

    def gap_in_data(self, run, old_identity, new_address):
        """Last commit on the old primary to first on the new one, from
        the rows (the servers' clocks: one host here)."""
        rows = replication_bench.sql(self.datastore, new_address,
                   'SELECT server, at FROM rows_%s' % run)
        old = [at for server, at in rows if str(server) == old_identity]
        new = [at for server, at in rows if str(server) != old_identity]
        return (min(new) - max(old)) if old and new else None, rows

    def failover_run(self, run):
        self.table(run)
        old = self.primary
        old_address = self.address(old)
        old_identity = str(replication_bench.sql(self.datastore, old_address,
                               IDENTITY[self.datastore])[0][0])
        addresses = self.addresses()
        writers = Writers(self.datastore, lambda: addresses, run)
        writers.start()
        time.sleep(2)
        helpers.signal_engine(self.system.instance_dir(old),
                              signal.SIGKILL)
        deadline = time.monotonic() + 120
        new = None
        while new is None:
            if time.monotonic() > deadline:
                raise RuntimeError('no failover of %s' % old)
            for replica in self.replicas:
                if not hasattr(self.client.instances.get(replica),
                               'replica_of'):
                    new = replica
            time.sleep(0.2)
        new_address = self.address(new)
        for member in self.replicas:
            self.wait_active(member)
        time.sleep(1)
        writers.stop()
        gap, rows = self.gap_in_data(run, old_identity, new_address)
        present = {row_id for (row_id,) in replication_bench.sql(
            self.datastore, new_address, 'SELECT id FROM rows_%s' % run)}
        lost = len(writers.acknowledged - present)
        payload = self.notification(old)
        figures = {'write_gap_s': gap, 'lost': lost,
                   'detection_s': payload.get('detection_seconds'),
                   'fence_s': payload.get('fence_seconds'),
                   'promote_s': payload.get('promote_seconds'),
                   'rows': len(rows)}
        print('%s failover %s: write gap %.2f s, detection %s s, fence %s '
              's, promote %s s, %d rows acknowledged, %d lost' % (
                  self.datastore, run, gap or -1, figures['detection_s'],
                  figures['fence_s'], figures['promote_s'],
                  len(writers.acknowledged), lost), flush=True)
        # The next run starts from a primary and two replicas again.
        self.primary = new
        self.replicas = [r for r in self.replicas if r != new]
        self.client.instances.delete(old)
        self.gone.append(old)
        self.add_replicas(1)
        return figures

    def notification(self, old):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for payload in self.listener.of('trove.instance.failover'):
                if payload['old_primary'] == old:
                    return payload
            time.sleep(0.2)
        return {}

    def switchover_run(self, run):
        self.table(run)
        old_address = self.address(self.primary)
        old_identity = str(replication_bench.sql(self.datastore, old_address,
                               IDENTITY[self.datastore])[0][0])
        candidate = self.replicas[0]
        addresses = self.addresses()
        writers = Writers(self.datastore, lambda: addresses, run)
        writers.start()
        time.sleep(2)
        self.client.instances.promote_to_replica_source(candidate)
        for member in self.members():
            self.wait_active(member)
        time.sleep(1)
        writers.stop()
        new_address = self.address(candidate)
        gap, _rows = self.gap_in_data(run, old_identity, new_address)
        present = {row_id for (row_id,) in replication_bench.sql(
            self.datastore, new_address, 'SELECT id FROM rows_%s' % run)}
        lost = len(writers.acknowledged - present)
        print('%s switchover %s: write gap %.2f s, %d lost' % (
            self.datastore, run, gap or -1, lost), flush=True)
        self.replicas = [m for m in self.members() if m != candidate]
        self.primary = candidate
        return {'write_gap_s': gap, 'lost': lost}

    def cleanup(self):
        """Delete every instance of the bench: those without replicas
        first (a primary with replicas cannot be deleted), the primary
        async first (the only replica of a sync primary cannot go)."""
        if self.primary:
            try:
                self.client.client.put('/instances/%s' % self.primary,
                                       body={'instance': {
                                           'replication_mode': 'async'}})
            except Exception as error:
                print('%s stays as it is: %s' % (self.primary, error))
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            instances = self.client.instances.list()
            if not instances:
                return
            for instance in instances:
                # The list's own keys: a missing attribute would make
                # the client GET an instance that may be gone by now.
                if not instance._info.get('replicas') and \
                        instance.status not in ('SHUTDOWN_DELETING',):
                    try:
                        self.client.instances.delete(instance.id)
                    except Exception as error:
                        print('could not delete %s yet: %s'
                              % (instance.id, error))
            time.sleep(3)


def bench_datastore(system, client, listener, datastore, args):
    bench = Bench(system, client, listener, datastore, args.mode)
    bench.build()
    runs = []
    switchovers = []
    try:
        for number in range(args.runs):
            # Past the anti-flapping block of the previous run.
            time.sleep(1.5)
            runs.append(bench.failover_run('f%d' % number))
        for number in range(args.switchovers):
            switchovers.append(bench.switchover_run('s%d' % number))
    finally:
        bench.cleanup()
    figures = {key: summary([r[key] for r in runs])
               for key in ('write_gap_s', 'detection_s', 'fence_s',
                           'promote_s')}
    figures['runs'] = len(runs)
    figures['acknowledged_rows_lost'] = sum(r['lost'] for r in runs)
    if switchovers:
        figures['switchover_write_gap_s'] = summary(
            [s['write_gap_s'] for s in switchovers])
        figures['switchover_rows_lost'] = sum(s['lost']
                                              for s in switchovers)
    return figures


def report(datastore, figures):
    def line(name, values):
        if values:
            print('%-10s %-22s p50 %6.2f s  p95 %6.2f s  max %6.2f s' % (
                datastore, name, values['p50'], values['p95'],
                values['max']), flush=True)
    line('failover write gap', figures['write_gap_s'])
    line('detection', figures['detection_s'])
    line('fence', figures['fence_s'])
    line('promote', figures['promote_s'])
    print('%-10s acknowledged rows lost over %d failovers: %d' % (
        datastore, figures['runs'], figures['acknowledged_rows_lost']))
    if figures.get('switchover_write_gap_s'):
        line('switchover write gap', figures['switchover_write_gap_s'])
        print('%-10s acknowledged rows lost in switchovers: %d' % (
            datastore, figures['switchover_rows_lost']))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=20,
                        help='Failovers per engine.')
    parser.add_argument('--switchovers', type=int, default=0,
                        help='Planned promotions per engine afterwards.')
    parser.add_argument('--datastores', default='mariadb,postgresql')
    parser.add_argument('--mode', default='sync', choices=['sync', 'async'],
                        help='Replication mode of the set.')
    args = parser.parse_args()

    results = {'benchmark': 'failover', 'runs': args.runs,
               'mode': args.mode,
               'switchovers': args.switchovers}
    with e2e.temporary_system(
            'tfb-',
            extra_options=['usage_sleep_time=1', 'http_get_rate=100000',
                           'http_post_rate=100000', 'failover_block_seconds=1',
                           'oslo_messaging_notifications.driver=messagingv2']
    ) as system:
        system.up()
        listener = helpers.NotificationListener(system.transport_url)
        listener.start()
        try:
            client = system.client('bench')
            for datastore in args.datastores.split(','):
                results[datastore] = bench_datastore(system, client, listener,
                                                     datastore, args)
                report(datastore, results[datastore])
        finally:
            listener.stop()
    print(json.dumps(results))


if __name__ == '__main__':
    main()
