"""Automatic failover in asynchronous mode reports exactly what it lost
(MariaDB, real engines, every service a process).

A primary with one replica, auto_failover on, async. The replica's
receiving is paused on purpose, N transactions are committed on the
primary only (the test notes the GTID of each), then the primary's engine
is SIGKILLed: the replica becomes the primary, and the old primary, back
fenced, cannot rejoin (it holds transactions the new primary lacks): it
stays out, read-only, with a fault naming exactly those N GTIDs.

It also shows the probes' reserved ``os_probe`` engine account: created
with the password trove-local generated, refused as a user name.
"""

import os
import signal

import pytest
from troveclient import exceptions

from tests.e2e import sql_logins
from tests.e2e import system as e2e
from tests.e2e import test_failover as failover_base
from tests.e2e.test_failover import (
    PASSWORD, address_of, execute, rows, set_auto_failover)
from tests.helpers import failover as helpers
from tests.helpers.processes import wait_until
from trove.guestagent.replication import divergence

pytestmark = pytest.mark.e2e

LOST = 5


# The same system and per-test project as tests/e2e/test_failover.py (a
# system of this module's own: module scope).
failover_system = failover_base.failover_system
client = failover_base.client


def test_async_failover_reports_the_lost_gtids(client, failover_system):
    system, datastore = failover_system, 'mariadb'
    primary = client.instances.create(
        'fo-async-primary', flavor_id='1', volume={'size': 1},
        datastore=datastore, databases=[{'name': 'app'}],
        users=[{'name': 'app', 'password': PASSWORD,
                'databases': [{'name': 'app'}]}])
    e2e.wait_for_instance(client, primary.id, system=system)
    p_addr = address_of(client, primary.id)
    execute(datastore, p_addr, 'CREATE TABLE kept (id INT PRIMARY KEY)')
    execute(datastore, p_addr, 'INSERT INTO kept VALUES (1)')
    # The probes' reserved account exists, with the password trove-local
    # generated (kept in its state directory), and is no user's name.
    with open(os.path.join(system.state_dir,
                           'engine-probe.password')) as handle:
        probe_password = handle.read().strip()
    assert probe_password
    assert sql_logins.can_login(datastore, p_addr, 'os_probe',
                                probe_password)
    assert not sql_logins.can_login(datastore, p_addr, 'os_probe', 'wrong')
    with pytest.raises(exceptions.BadRequest):
        client.users.create(primary.id, [{'name': 'os_probe',
                                          'password': 'probe-pw-1'}])
    # root (replicated with the snapshot) pauses the replica below.
    _name, root_password = client.root.create_instance_root(primary.id)
    replica = client.instances.create(
        'fo-async-replica', flavor_id='1', volume={'size': 1},
        replica_of=primary.id)
    e2e.wait_for_instance(client, replica.id, timeout=300, system=system)
    r_addr = address_of(client, replica.id)
    set_auto_failover(client, primary.id, auto_failover=True,
                      replication_mode='async')
    wait_until(lambda: 1 in rows(datastore, r_addr), timeout=60,
               message='the replica lags')

    helpers.pause_replication(datastore, r_addr, 'root', root_password)
    ids = list(range(100, 100 + LOST))
    lost_gtids = helpers.insert_with_gtids(p_addr, 'app', PASSWORD, 'app',
                                           ids)
    assert not set(ids) & rows(datastore, r_addr)
    helpers.signal_engine(system.instance_dir(primary.id), signal.SIGKILL)

    wait_until(lambda: not hasattr(client.instances.get(replica.id),
                                   'replica_of'),
               timeout=90, interval=0.5,
               message='the replica was not promoted:\n'
               + system.logs_tail())
    e2e.wait_for_instance(client, replica.id, timeout=120, system=system)
    # The old primary comes back fenced and stays out, with the report:
    # exactly the GTIDs the writer was given, one server's consecutive
    # sequence numbers.
    wait_until(lambda: 'stays out' in (getattr(
        client.instances.get(primary.id), 'fault', None) or {}).get(
            'message', ''), timeout=240, interval=1,
        message='no stays-out fault:\n' + system.logs_tail())
    message = client.instances.get(primary.id).fault['message']
    print('async loss report: %s' % message)
    parsed = [tuple(int(p) for p in g.split('-')) for g in lost_gtids]
    (domain, server, first), last = parsed[0], parsed[-1][2]
    assert [p[2] for p in parsed] == list(range(first, last + 1))
    exact = divergence.describe([(domain, server, first, last)])
    assert exact == '%d transaction(s): %s..%s' % (LOST, lost_gtids[0],
                                                   lost_gtids[-1])
    assert exact in message, (exact, message)
    assert '%d transaction(s)' % LOST in message
    old = client.instances.get(primary.id)
    assert not getattr(old, 'replica_of', None)
    # Lost indeed: not on the new primary, which takes writes.
    execute(datastore, r_addr, 'INSERT INTO kept VALUES (2)')
    assert not set(ids) & rows(datastore, r_addr)
    assert 2 in rows(datastore, r_addr)
    # Fenced: the old primary takes no client write.
    with pytest.raises(Exception):
        execute(datastore, p_addr, 'INSERT INTO kept VALUES (3)')
    for instance_id in (primary.id, replica.id):
        client.instances.delete(instance_id)
        e2e.wait_for_deleted(client, instance_id, timeout=180)
