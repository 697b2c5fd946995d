"""The failover monitor's parts on real sockets and the control DB: engine
probes against the machine's MariaDB and PostgreSQL, a closed port and a
hung listener (a SIGSTOPped engine's socket: the kernel accepts, nobody
answers); the leader lease; a monitor turn over hung primaries (bounded,
no deadlock with a one-thread pool), a failover refused with a fault, and
the start of a failover (tasks, work, flow) that a busy set prevents."""

import datetime
import json
import socket
import threading
import time
import uuid

import pytest

from tests import fake_provider
from tests.helpers import factories
from tests.helpers import ports
from trove.common import context as trove_context
from trove.common import rpc, states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import work_claims as claims
from trove.taskmanager.failover import monitor as failover_monitor
from trove.taskmanager.failover import probes

pytestmark = pytest.mark.functional
Tasks = states.InstanceTasks
sqlite_only = pytest.mark.parametrize('control_db_url', ['sqlite'],
                                      indirect=True)


@pytest.fixture
def hung_listener():
    """A listening socket nobody accepts on: connect succeeds, no
    greeting ever comes."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


def test_probes_of_live_engines_answer():
    # The machine's engines (tools/bootstrap.sh): os_probe has no account
    # there, and a refused login is still the engine's answer.
    for manager, port in (('mariadb', 3306), ('postgresql', 5432)):
        result = probes.probe(manager, '127.0.0.1', port, timeout=2.0)
        assert result.ok, (manager, result)


def test_probes_of_dead_or_hung_engines_fail_within_the_timeout(
        hung_listener):
    closed = ports.free_port()
    for manager in ('mariadb', 'postgresql'):
        result = probes.probe(manager, '127.0.0.1', closed, timeout=0.5)
        assert not result.ok and 'Connection refused' in result.error
        started = time.monotonic()
        result = probes.probe(manager, '127.0.0.1', hung_listener,
                              timeout=0.5)
        assert not result.ok, result
        assert time.monotonic() - started < 1.5


@sqlite_only
def test_one_leader_at_a_time(db):
    context = trove_context.get_admin_context()
    assert claims.leader_turn(context, 'test_leader', 30, owner='tm-a')
    # The holder renews; another waits for the lease to run out.
    assert claims.leader_turn(context, 'test_leader', 30, owner='tm-a')
    assert not claims.leader_turn(context, 'test_leader', 30, owner='tm-b')
    with db_api.writer(context) as session:
        session.query(db_models.WorkClaim).filter_by(
            resource_id='periodic:test_leader').update({
                'lease_expires': db_models.utcnow()
                - datetime.timedelta(seconds=1)})
    assert claims.leader_turn(context, 'test_leader', 30, owner='tm-b')
    assert not claims.leader_turn(context, 'test_leader', 30, owner='tm-a')


def primary_with_replicas(version_id, port_host, replicas=2, **values):
    addresses = json.dumps([{'address': port_host, 'type': 'private'}])
    values.setdefault('auto_failover', True)
    primary = factories.create_test_instance(
        version_id=version_id, work=None, task=Tasks.NONE,
        server_status=states.ServerStatus.ACTIVE,
        compute_instance_id=str(uuid.uuid4()), addresses=addresses,
        **values)
    members = [primary]
    for _ in range(replicas):
        members.append(factories.create_test_instance(
            version_id=version_id, work=None, task=Tasks.NONE,
            server_status=states.ServerStatus.ACTIVE, slave_of_id=primary,
            compute_instance_id=str(uuid.uuid4()),
            addresses=json.dumps([{'address': '127.0.0.1'}])))
    return members


def row(instance_id):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.get(db_models.Instance, instance_id)


@pytest.fixture
def monitored(db, rabbit_transport_url, hung_listener):
    """A control DB, RPC to a vhost where no guest answers, and MariaDB
    probes aimed at the hung listener."""
    rpc.cleanup()
    CONF.set_override('transport_url', rabbit_transport_url)
    CONF.set_override('tcp_ports', [str(hung_listener)], group='mariadb')
    CONF.set_override('failover_probe_failures', 2)
    CONF.set_override('failover_probe_timeout', 0.3)
    yield
    for name in ('transport_url', 'failover_probe_failures',
                 'failover_probe_timeout'):
        CONF.clear_override(name)
    CONF.clear_override('tcp_ports', group='mariadb')
    rpc.cleanup()


@sqlite_only
def test_a_turn_over_hung_primaries_refuses_without_replicas(monitored):
    version_id = factories.create_test_datastore_version()
    sets = [primary_with_replicas(version_id, '127.0.0.1')
            for _ in range(3)]
    # A primary with auto_failover off is not watched.
    unwatched = primary_with_replicas(version_id, '127.0.0.1',
                                      auto_failover=False)[0]
    started_flows = []
    # The fake provider knows none of the servers: "gone" confirms.
    provider = fake_provider.fake_provider([])
    monitor = failover_monitor.FailoverMonitor(
        provider, lambda context, claimed: started_flows.append(claimed),
        owner='tm-test', workers=1)
    try:
        done = threading.Event()
        result = []

        def turn():
            result.append(monitor.tick())
            done.set()
        asked = time.time()
        threading.Thread(target=turn, daemon=True).start()
        # Three hung probes through one worker, probed again a quarter
        # interval apart until suspected, then their replicas asked (none
        # answers within 3 s): the turn ends, nothing deadlocks.
        assert done.wait(60), 'the monitor turn never ended'
        assert monitor.watch_of(unwatched) is None
        assert result == [[]] and started_flows == []
        for members in sets:
            fault = factories_fault(members[0])
            assert 'Automatic failover refused: its server is gone; no ' \
                   'replica answers' in fault
            assert row(members[0]).task_id == Tasks.NONE.code
        # After a refusal the monitor waits before asking again.
        for members in sets:
            assert monitor.watch_of(members[0]).retry_after >= \
                asked + failover_monitor.RETRY_AFTER_REFUSAL
    finally:
        monitor.stop()


def factories_fault(instance_id):
    with db_api.reader(trove_context.get_admin_context()) as session:
        fault = session.query(db_models.InstanceFault).filter_by(
            instance_id=instance_id, deleted=False).first()
        return fault.message if fault else ''


@sqlite_only
def test_starting_a_failover_records_tasks_and_work(monitored):
    version_id = factories.create_test_datastore_version()
    members = primary_with_replicas(version_id, '127.0.0.1')
    started_flows = []
    monitor = failover_monitor.FailoverMonitor(
        fake_provider.fake_provider([]),
        lambda context, claimed: started_flows.append(claimed),
        owner='tm-test')
    context = trove_context.get_admin_context()
    try:
        # A member with a task (a request under way): nothing starts.
        factories_set_task(members[2], Tasks.RESIZING)
        assert not monitor.start_failover(
            context, row(members[0]), members[1:], members[1],
            {'reason': 'test'})
        assert row(members[0]).task_id == Tasks.NONE.code
        assert claims.current(context, members[0]) is None
        factories_set_task(members[2], Tasks.NONE)
        assert monitor.start_failover(
            context, row(members[0]), members[1:], members[1],
            {'reason': 'test', 'last_ok_at': time.time()})
        for member in members:
            assert row(member).task_id == Tasks.EJECTING.code
        [claimed] = started_flows
        assert (claimed.flow, claimed.resource_id) == ('failover',
                                                       members[0])
        assert claimed.args['members'] == members
        assert claimed.args['candidate'] == members[1]
        assert claimed.owner == 'tm-test'
    finally:
        monitor.stop()


def factories_set_task(instance_id, task):
    with db_api.writer(trove_context.get_admin_context()) as session:
        session.query(db_models.Instance).filter_by(id=instance_id).update(
            {'task_id': task.code, 'task_description': task.db_text})
