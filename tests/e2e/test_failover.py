"""Automatic failover end to end, on MariaDB (GTID) and PostgreSQL
(streaming), with every service a process and real engines: a primary
with two replicas and auto_failover on.

* Only the primary's guest agent is killed (its engine still serves):
  no failover.
* The set is switched to synchronous replication (MariaDB semi-sync,
  PostgreSQL ``ANY 1 (*)``).
* The primary's engine (and every process it forked) is SIGKILLed under a
  writer: the most advanced replica becomes the primary and accepts
  writes, no row the writer was told was committed is missing, the other
  replica follows it, the old primary is fenced (its
  server stopped) and comes back read-only, then rejoins as a replica of
  the new primary (GTID position / pg_rewind) and receives its new rows;
  both members carry a fault
  saying what happened, the oslo notification ``trove.instance.failover``
  arrives with the timings, and the taskmanager logs them.
* Then the new primary's engine is SIGSTOPped (hung, as in a partition):
  its last replica takes over (and, left without a replica, becomes
  async), nothing acknowledged is lost, and once it is fenced the hung
  primary accepts no write (nothing acknowledged there after the fence).
"""

import os
import signal
import time

import pytest

from tests.e2e import sql_logins
from tests.e2e import system as e2e
from tests.helpers import failover as helpers
from tests.helpers.processes import wait_until

pytestmark = pytest.mark.e2e

PASSWORD = 'app-password-1'
OPTIONS = ['failover_block_seconds=5', 'failover_probe_interval=1',
           'failover_probe_failures=3', 'failover_probe_timeout=0.5',
           'oslo_messaging_notifications.driver=messagingv2']


@pytest.fixture(scope='module')
def failover_system():
    with e2e.temporary_system('trove-failover-',
                              extra_options=OPTIONS) as system:
        system.up()
        yield system


@pytest.fixture
def client(failover_system):
    return failover_system.client('failover-%d' % int(time.time() * 1000))


@pytest.fixture
def notifications(failover_system):
    listener = helpers.NotificationListener(failover_system.transport_url)
    listener.start()
    yield listener
    listener.stop()


@pytest.fixture(params=['mariadb', 'postgresql'])
def datastore(request):
    return request.param


def address_of(client, instance_id):
    return client.instances.get(instance_id).ip[0]


def execute(datastore, address, statement):
    connection = sql_logins.login(datastore, address, 'app', PASSWORD, 'app')
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def rows(datastore, address):
    return {r[0] for r in execute(datastore, address, 'SELECT id FROM kept')}


def replica_set(client, system, datastore):
    primary = client.instances.create(
        'fo-primary-' + datastore, flavor_id='1', volume={'size': 1},
        datastore=datastore, databases=[{'name': 'app'}],
        users=[{'name': 'app', 'password': PASSWORD,
                'databases': [{'name': 'app'}]}])
    e2e.wait_for_instance(client, primary.id, system=system)
    execute(datastore, address_of(client, primary.id),
            'CREATE TABLE kept (id INT PRIMARY KEY)')
    client.instances.create('fo-replica-' + datastore, flavor_id='1',
                            volume={'size': 1}, replica_of=primary.id,
                            replica_count=2)
    replicas = [r['id'] for r in client.instances.get(primary.id).replicas]
    assert len(replicas) == 2
    for replica in replicas:
        e2e.wait_for_instance(client, replica, timeout=300, system=system)
    return primary.id, replicas


def set_auto_failover(client, instance_id, **settings):
    client.client.put('/instances/%s' % instance_id,
                      body={'instance': settings})


# What makes a member synchronous: MariaDB replicas acknowledge
# (semi-sync slave) and only the primary waits (semi-sync master);
# every PostgreSQL member holds the setting (standbys ignore it).
SYNC_SETTING = {
    ('mariadb', 'replica'):
        "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_slave_enabled'",
    ('mariadb', 'primary'):
        "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_master_enabled'",
    ('postgresql', 'replica'): 'SHOW synchronous_standby_names',
    ('postgresql', 'primary'): 'SHOW synchronous_standby_names',
}
SYNC_VALUE = {'mariadb': 'ON', 'postgresql': 'ANY 1 (*)'}


def is_sync(datastore, address, role):
    value = execute(datastore, address,
                    SYNC_SETTING[datastore, role])[0][-1]
    return value == SYNC_VALUE[datastore]


def log_of(system, name='trove-taskmanager'):
    with open(os.path.join(system.state_dir, 'logs', name + '.log'),
              errors='replace') as log:
        return log.read()


def test_failover(client, failover_system, datastore, notifications):
    system = failover_system
    primary, replicas = replica_set(client, system, datastore)
    set_auto_failover(client, primary, auto_failover=True,
                      replication_mode='sync')
    shown = client.instances.get(primary)
    assert shown.auto_failover is True and shown.replication_epoch == 0
    assert shown.replication_mode == 'sync'
    p_addr = address_of(client, primary)
    addresses = {r: address_of(client, r) for r in replicas}
    # Every member switches (a replica keeps it for its promotion).
    for address, role in [(p_addr, 'primary')] + [
            (a, 'replica') for a in addresses.values()]:
        wait_until(lambda a=address, r=role: is_sync(datastore, a, r),
                   timeout=60, message='%s is not synchronous' % address)

    # 1. The guest agent dies, the engine serves on: no failover.
    helpers.kill_agent(system.instance_dir(primary))
    execute(datastore, p_addr, 'INSERT INTO kept VALUES (1)')
    time.sleep(12)   # four times what detection takes
    assert {r['id'] for r in client.instances.get(primary).replicas} == \
        set(replicas)
    assert client.instances.get(primary).replication_epoch == 0
    for replica in replicas:
        assert client.instances.get(replica).replica_of['id'] == primary
    execute(datastore, p_addr, 'INSERT INTO kept VALUES (2)')
    system.start_server(primary)
    wait_until(lambda: client.instances.get(primary).operating_status
               == 'HEALTHY', timeout=60, interval=1,
               message='the restarted agent never reported')
    for replica in replicas:
        wait_until(lambda r=replica: {1, 2} <= rows(datastore, addresses[r]),
                   timeout=30, message='replica %s lags' % replica)

    # 2. The engine dies under a writer: a replica takes over.
    current = {'address': p_addr}
    writer = helpers.Writer(datastore, lambda: current['address'], 'app',
                            PASSWORD)
    writer.start()
    wait_until(lambda: len(writer.acknowledged) >= 20, timeout=30,
               message='the writer got nothing acknowledged')
    killed_at = time.time()
    helpers.signal_engine(system.instance_dir(primary), signal.SIGKILL)

    def new_primary():
        for replica in replicas:
            if not hasattr(client.instances.get(replica), 'replica_of'):
                return replica
        return None
    wait_until(lambda: new_primary() is not None, timeout=90, interval=0.5,
               message='no replica was promoted:\n' + system.logs_tail())
    promoted = new_primary()
    other = [r for r in replicas if r != promoted][0]
    current['address'] = addresses[promoted]
    wait_until(lambda: writer.first_on(addresses[promoted]) is not None,
               timeout=60, message='the new primary takes no write')
    time.sleep(1)
    writer.stop()
    for instance_id in (promoted, other):
        e2e.wait_for_instance(client, instance_id, timeout=120,
                              system=system)
    gap = writer.first_on(addresses[promoted]) - writer.last_on(p_addr)
    print('%s failover: write gap %.2f s (kill to first write %.2f s), '
          'writer refused %d times' % (
              datastore, gap, writer.first_on(addresses[promoted])
              - killed_at, writer.refused))

    # The set as the API shows it.
    new = client.instances.get(promoted)
    # (The old primary may have rejoined already: see below.)
    assert other in [r['id'] for r in new.replicas]
    assert new.auto_failover is True and new.replication_epoch == 1
    assert client.instances.get(other).replica_of['id'] == promoted
    assert client.instances.get(other).replication_epoch == 1
    old = client.instances.get(primary)
    assert not getattr(old, 'replicas', None)
    assert 'Failed over' in old.fault['message']
    assert promoted in old.fault['message']
    assert 'Became the primary' in new.fault['message']
    assert primary in new.fault['message']
    # The other replica follows the new primary.
    execute(datastore, addresses[promoted], 'INSERT INTO kept VALUES (3)')
    wait_until(lambda: 3 in rows(datastore, addresses[other]), timeout=60,
               message='the other replica does not follow')
    on_new = rows(datastore, addresses[promoted])
    # The most advanced replica won: it holds all the other one got.
    assert rows(datastore, addresses[other]) <= on_new
    # Synchronous: no row the writer was told was committed is missing.
    lost = sorted(n for n, (a, _t) in writer.acknowledged.items()
                  if a == p_addr and n not in on_new)
    assert lost == [], lost
    assert new.replication_mode == 'sync'
    assert is_sync(datastore, addresses[promoted], 'primary')
    assert is_sync(datastore, addresses[other], 'replica')

    # Visible: the notification and the taskmanager's log line.
    wait_until(lambda: notifications.of('trove.instance.failover'),
               timeout=30, message='no failover notification')
    [payload] = [p for p in notifications.of('trove.instance.failover')
                 if p['old_primary'] == primary]
    assert payload['new_primary'] == promoted
    assert payload['replicas'] == [other]
    assert payload['epoch'] == 1
    for key in ('detection_seconds', 'fence_seconds', 'promote_seconds',
                'total_seconds'):
        assert 0 <= payload[key] < 60, (key, payload)
    assert 'Failover of %s to %s: detection' % (primary, promoted) in \
        log_of(system)

    # The old primary came back fenced and rejoined as a replica of the
    # new primary: read-only, receiving new rows, holding every row.
    def old_source():
        return (getattr(client.instances.get(primary), 'replica_of', None)
                or {}).get('id')
    def old_fault():
        return (getattr(client.instances.get(primary), 'fault', None)
                or {}).get('message', '')

    # Killed between writing a commit to its binary log and the replica's
    # acknowledgement, the old primary holds a transaction no client was
    # told of: it stays out, fenced, and says so (tests/e2e/
    # test_failover_async.py covers that outcome); else it rejoins.
    wait_until(lambda: old_source() == promoted or 'stays out' in
               old_fault(), timeout=240, interval=1,
               message=lambda: 'the old primary did not rejoin:\n%s\n%s' % (
                   old_fault(), system.logs_tail()))
    if old_source() != promoted:
        assert datastore == 'mariadb' and 'transaction' in old_fault(), \
            old_fault()
        print('%s: old primary stays out: %s' % (datastore, old_fault()))
    else:
        _check_rejoined(client, datastore, primary, promoted, other,
                        addresses, p_addr, on_new)
    # Out of the way of part 3 (a primary with one replica).
    client.instances.delete(primary)
    e2e.wait_for_deleted(client, primary, timeout=180)

    # 3. The new primary hangs (SIGSTOP): its last replica takes over
    # once the anti-flapping block (5 s here) is over.
    time.sleep(6)
    current['address'] = addresses[promoted]
    writer = helpers.Writer(datastore, lambda: current['address'], 'app',
                            PASSWORD, start=200000)
    writer.start()
    wait_until(lambda: len(writer.acknowledged) >= 20, timeout=30,
               message='the writer got nothing acknowledged')
    stopped_at = time.time()
    helpers.signal_engine(system.instance_dir(promoted), signal.SIGSTOP)
    wait_until(lambda: not hasattr(client.instances.get(other),
                                   'replica_of'),
               timeout=90, interval=0.5,
               message='the hung primary was not replaced:\n'
               + system.logs_tail())
    current['address'] = addresses[other]
    wait_until(lambda: writer.first_on(addresses[other]) is not None,
               timeout=60, message='the last replica takes no write')
    time.sleep(1)
    writer.stop()
    e2e.wait_for_instance(client, other, timeout=120, system=system)
    print('%s failover after SIGSTOP: write gap %.2f s (stop to first '
          'write %.2f s)' % (
              datastore, writer.first_on(addresses[other])
              - writer.last_on(addresses[promoted]),
              writer.first_on(addresses[other]) - stopped_at))
    [payload] = [p for p in notifications.of('trove.instance.failover')
                 if p['old_primary'] == promoted]
    assert payload['new_primary'] == other and payload['epoch'] == 2
    # Fenced: nothing was acknowledged on the hung primary after the
    # fence, and its engine is gone (nothing answers there).
    last_on_hung = writer.last_on(addresses[promoted])
    assert last_on_hung < payload['fenced_at'], (last_on_hung, payload)
    hung = client.instances.get(promoted)
    assert 'Failed over' in hung.fault['message']
    last = client.instances.get(other)
    assert last.replication_epoch == 2 and last.auto_failover is True
    # The hung primary, killed by the fence, comes back fenced and rejoins
    # the last one: it takes no client write.
    wait_until(lambda: (getattr(client.instances.get(promoted), 'replica_of',
                                None) or {}).get('id') == other,
               timeout=240, interval=1,
               message='the hung primary did not rejoin:\n'
               + system.logs_tail())
    with pytest.raises(Exception):
        execute(datastore, addresses[promoted], 'INSERT INTO kept VALUES (7)')
    # No replica was left when it took over: async, or every commit would
    # have waited forever (the rejoined one follows it asynchronously).
    assert last.replication_mode == 'async'
    assert 'async now' in last.fault['message']
    execute(datastore, addresses[other], 'INSERT INTO kept VALUES (4)')
    on_last = rows(datastore, addresses[other])
    lost = sorted(n for n, (a, _t) in writer.acknowledged.items()
                  if a == addresses[promoted] and n not in on_last)
    assert lost == [], lost

    # Replicas first: a primary with replicas cannot be deleted.
    for instance_id in (promoted, other):
        client.instances.delete(instance_id)
        e2e.wait_for_deleted(client, instance_id, timeout=180)


def _check_rejoined(client, datastore, primary, promoted, other, addresses,
                    p_addr, on_new):
    """The old primary rejoined as a replica of the new primary:
    read-only, receiving new rows, holding every row."""
    old = client.instances.get(primary)
    assert 'rejoined' in old.fault['message'], old.fault
    assert old.replication_epoch == 1
    assert sorted(r['id'] for r in client.instances.get(promoted).replicas) \
        == sorted([other, primary])
    execute(datastore, addresses[promoted], 'INSERT INTO kept VALUES (5)')
    wait_until(lambda: 5 in rows(datastore, p_addr), timeout=60,
               message='the old primary does not receive new rows')
    assert on_new | {3, 5} <= rows(datastore, p_addr)
    with pytest.raises(Exception):
        execute(datastore, p_addr, 'INSERT INTO kept VALUES (6)')
    assert 6 not in rows(datastore, addresses[promoted])
    print('%s: old primary rejoined as a replica' % datastore)
