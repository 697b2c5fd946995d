"""Automatic failover in asynchronous mode reports exactly what it lost
(MariaDB and PostgreSQL, real engines, every service a process).

A primary with one replica, auto_failover on, async. The replica's
receiving is paused on purpose, N transactions are committed on the
primary only (the test notes the GTID, or the xid, of each), then the
primary's engine is SIGKILLed: the replica becomes the primary.

* MariaDB: the old primary, back fenced, cannot rejoin (it holds
  transactions the new primary lacks): it stays out, read-only, with a
  fault naming exactly those N GTIDs.
* PostgreSQL: the old primary, back fenced, is not rewound (pg_rewind
  would discard those N transactions): it stays out, a read-only standby
  of nobody holding their rows, with a fault naming the WAL the new
  primary lacks (from the new timeline's switch point, read from the new
  primary's history file) and exactly those N transactions (their xids);
  none of their rows is on the new primary.

It also shows the probes' reserved ``os_probe`` engine account: created
with the password trove-local generated, refused as a user name.
"""

import os
import re
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
from trove.guestagent.replication import base as replication_base
from trove.guestagent.replication import divergence

pytestmark = pytest.mark.e2e

LOST = 5


# The same system and per-test project as tests/e2e/test_failover.py (a
# system of this module's own: module scope).
failover_system = failover_base.failover_system
client = failover_base.client


def new_primary(client, system, datastore):
    """A primary (a database and user ``app``, the table ``kept`` holding
    1) and its address."""
    primary = client.instances.create(
        'fo-async-primary', flavor_id='1', volume={'size': 1},
        datastore=datastore, databases=[{'name': 'app'}],
        users=[{'name': 'app', 'password': PASSWORD,
                'databases': [{'name': 'app'}]}])
    e2e.wait_for_instance(client, primary.id, system=system)
    p_addr = address_of(client, primary.id)
    execute(datastore, p_addr, 'CREATE TABLE kept (id INT PRIMARY KEY)')
    execute(datastore, p_addr, 'INSERT INTO kept VALUES (1)')
    return primary, p_addr


def async_replica(client, system, datastore, primary):
    """root on ``primary`` (replicated with the snapshot: it pauses the
    replica), then its replica, auto_failover on in async mode, once the
    replica has the row 1. Returns (replica, its address, root's
    password)."""
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
    return replica, r_addr, root_password


def kill_and_wait_for_promotion(client, system, primary, replica):
    helpers.signal_engine(system.instance_dir(primary.id), signal.SIGKILL)
    wait_until(lambda: not hasattr(client.instances.get(replica.id),
                                   'replica_of'),
               timeout=90, interval=0.5,
               message='the replica was not promoted:\n'
               + system.logs_tail())
    e2e.wait_for_instance(client, replica.id, timeout=120, system=system)


def fault_of_old_primary(client, system, primary, words):
    """The old primary's fault once it says ``words``."""
    wait_until(lambda: words in (getattr(
        client.instances.get(primary.id), 'fault', None) or {}).get(
            'message', ''), timeout=240, interval=1,
        message='no %r fault:\n%s' % (words, system.logs_tail()))
    message = client.instances.get(primary.id).fault['message']
    print('async loss report: %s' % message)
    return message


def test_async_failover_reports_the_lost_gtids(client, failover_system):
    system, datastore = failover_system, 'mariadb'
    primary, p_addr = new_primary(client, system, datastore)
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
    replica, r_addr, root_password = async_replica(client, system,
                                                   datastore, primary)
    helpers.pause_replication(datastore, r_addr, 'root', root_password)
    ids = list(range(100, 100 + LOST))
    lost_gtids = helpers.insert_with_gtids(p_addr, 'app', PASSWORD, 'app',
                                           ids)
    assert not set(ids) & rows(datastore, r_addr)
    kill_and_wait_for_promotion(client, system, primary, replica)
    # The old primary comes back fenced and stays out, with the report:
    # exactly the GTIDs the writer was given, one server's consecutive
    # sequence numbers.
    message = fault_of_old_primary(client, system, primary, 'stays out')
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


REPORT = re.compile(r'It holds (\d+) transaction\(s\): (\S+)\.\.(\S+) of '
                    r'timeline (\d+) \(xid ([^)]*)\) its new source (\S+) '
                    r'lacks; it stays out of replication')


def test_async_failover_reports_the_lost_wal(client, failover_system):
    system, datastore = failover_system, 'postgresql'
    primary, p_addr = new_primary(client, system, datastore)
    replica, r_addr, root_password = async_replica(client, system,
                                                   datastore, primary)
    helpers.pause_streaming(p_addr, 'root', root_password, replica.id)
    ids = list(range(100, 100 + LOST))
    committed = helpers.insert_with_xids(p_addr, 'app', PASSWORD, 'app',
                                         ids)
    xids = [xid for xid, _lsn in committed]
    assert not set(ids) & rows(datastore, r_addr)
    kill_and_wait_for_promotion(client, system, primary, replica)
    # Where the new primary's timeline forked: the first WAL it lacks.
    timeline, switch = helpers.timeline_switch(r_addr, 'root',
                                               root_password)

    # The old primary comes back fenced and, as a MariaDB one, stays out
    # (not rewound), with the report: the WAL from the switch point to its
    # end, and exactly the transactions the writer committed there.
    message = fault_of_old_primary(client, system, primary, 'stays out')
    found = REPORT.search(message)
    assert found, message
    count, start, end, reported_timeline, reported_xids, host = \
        found.groups()
    assert int(count) == LOST
    assert (start, int(reported_timeline)) == (switch, timeline)
    assert host == r_addr
    # Its end: past the last commit the writer saw.
    assert replication_base.lsn_number(end) >= \
        replication_base.lsn_number(committed[-1][1])
    exact = divergence.describe_wal(start, end, timeline, xids)
    assert exact == '%d transaction(s): %s..%s of timeline %d (xid %d..%d)' \
        % (LOST, switch, end, timeline, xids[0], xids[-1])
    assert exact in message, (exact, message)
    old = client.instances.get(primary.id)
    assert not getattr(old, 'replica_of', None), 'it rejoined'
    # Lost by the new primary, which takes writes; held by the old one,
    # readable over SQL, which follows nobody and takes no client write.
    execute(datastore, r_addr, 'INSERT INTO kept VALUES (2)')
    new_rows = rows(datastore, r_addr)
    assert not set(ids) & new_rows
    assert {1, 2} <= new_rows
    wait_until(lambda: set(ids) <= rows(datastore, p_addr), timeout=60,
               message='the old primary does not serve the rows it holds')
    old_rows = rows(datastore, p_addr)
    assert set(ids) | {1} == old_rows
    with pytest.raises(Exception):
        execute(datastore, p_addr, 'INSERT INTO kept VALUES (3)')
    assert 2 not in rows(datastore, p_addr)
    for instance_id in (primary.id, replica.id):
        client.instances.delete(instance_id)
        e2e.wait_for_deleted(client, instance_id, timeout=180)
