"""The instance flows on the in-memory provider (tests/fake_provider.py,
which passes the provider contract suite) and a stand-in guest, with an
SQLite control database: steps, checkpoints, resumption, failure and
cancellation, without processes or a broker."""

import contextlib
import threading
import time

import pytest
import sqlalchemy as sa

from tests import fake_provider
from tests.functional.api import app as api_app
from tests.helpers import factories
from trove.common import context as trove_context
from trove.common import exception, states
from trove.compute import base as compute_base
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import faults, service_status
from trove.records import work_claims as claims
from trove.taskmanager.flows import common, create, delete, restart

Tasks = states.InstanceTasks
FLAVORS = [{'id': '1', 'name': 'small', 'ram': 512, 'vcpus': 1, 'disk': 1}]
CONTEXT = trove_context.get_admin_context(project_id='demo')


class FakeGuest:
    """Answers like a guest whose engine comes up (or fails) at once,
    reporting as the conductor would write it."""

    calls = []
    on_prepare = 'healthy'
    restart_works = False

    def __init__(self, context, instance_id):
        self.instance_id = instance_id

    def declare_queue(self):
        pass

    def prepare(self, **kwargs):
        FakeGuest.calls.append(('prepare', self.instance_id, kwargs))
        if FakeGuest.on_prepare == 'lost-once':
            FakeGuest.on_prepare = 'healthy'    # the next one arrives
            return
        if FakeGuest.on_prepare == 'healthy':
            service_status.set_status(CONTEXT, self.instance_id,
                                      states.ServiceStatuses.HEALTHY)

    def rpc_ping(self):
        FakeGuest.calls.append(('rpc_ping', self.instance_id, {}))
        if FakeGuest.on_prepare == 'hung':
            raise exception.GuestTimeout(instance_id=self.instance_id,
                                         timeout=1)
        return True

    def restart(self):
        FakeGuest.calls.append(('restart', self.instance_id, {}))
        if FakeGuest.restart_works:
            return
        raise exception.GuestTimeout(instance_id=self.instance_id,
                                     timeout=1)

    def stop_db(self):
        FakeGuest.calls.append(('stop_db', self.instance_id, {}))


@pytest.fixture
def provider():
    return fake_provider.fake_provider(FLAVORS)


@pytest.fixture(autouse=True)
def world(tmp_path, monkeypatch):
    url = 'sqlite:///%s' % (tmp_path / 'control.sqlite')
    api_app.migrate(url)
    db_api.configure(url)
    (tmp_path / 'mariadb').mkdir()
    (tmp_path / 'mariadb' / 'config.template').write_text(
        '[mysqld]\nbuffer = {{ flavor.ram }}\n')
    CONF.set_override('template_path', str(tmp_path))
    CONF.set_override('usage_sleep_time', 1)
    CONF.set_override('usage_timeout', 2, group='mariadb')
    monkeypatch.setattr(common.guest_api, 'API', FakeGuest)
    FakeGuest.calls = []
    FakeGuest.on_prepare = 'healthy'
    FakeGuest.restart_works = False
    yield
    CONF.clear_override('template_path')
    CONF.clear_override('usage_sleep_time')
    CONF.clear_override('usage_timeout', group='mariadb')
    db_api.configure()


def row(instance_id):
    with db_api.reader(CONTEXT) as session:
        return session.get(db_models.Instance, instance_id)


def fault(instance_id):
    with db_api.reader(CONTEXT) as session:
        found = session.query(db_models.InstanceFault).filter_by(
            instance_id=instance_id, deleted=False).first()
        return found.message if found else None


def task(instance_id):
    return Tasks.from_code(row(instance_id).task_id)


def run(flow_class, instance_id, provider, flow='create', owner='tm-1',
        **kwargs):
    work = claims.claim(CONTEXT, instance_id, flow, owner=owner)
    assert work is not None
    flow_class(CONTEXT, work, provider, **kwargs).run()


def test_a_build_makes_volume_and_server_and_hands_over_their_paths(
        provider):
    instance_id = factories.create_test_instance(
        work_args={'databases': [{'_name': 'shop'}], 'has_secrets': True})
    run(create.CreateFlow, instance_id, provider,
        secrets={'users': [{'_name': 'app', '_password': 'x'}],
                 'root_password': None})
    record = row(instance_id)
    assert task(instance_id) is Tasks.NONE
    assert record.server_status == states.ServerStatus.ACTIVE
    server = provider.compute.get_server(None, record.compute_instance_id)
    volume = provider.volumes.get_volume(None, record.volume_id)
    assert server.instance_id == instance_id
    assert (volume.attached_to, volume.size) == (server.id, 1)
    (_, _, prepare), = [c for c in FakeGuest.calls if c[0] == 'prepare']
    assert prepare['device_path'] == '/dev/fake-' + volume.id
    assert prepare['mount_point'] == '/mnt/' + volume.id
    assert prepare['databases'] == [{'_name': 'shop'}]
    assert prepare['users'] == [{'_name': 'app', '_password': 'x'}]
    assert prepare['memory_mb'] == 512
    assert 'buffer = 512' in prepare['config_contents']
    assert claims.current(CONTEXT, instance_id) is None


def test_a_failed_step_records_its_task_and_fault_together(provider):
    instance_id = factories.create_test_instance()
    provider.compute.fail_next('create_server', exception.ComputeError(
        reason='no valid host'))
    run(create.CreateFlow, instance_id, provider)
    assert task(instance_id) is Tasks.BUILDING_ERROR_SERVER
    assert fault(instance_id) == ('Could not create the server: Compute '
                                  'provider error: no valid host')
    # What the failed build made is recorded for the delete to remove.
    assert provider.volumes.find_volumes(None, instance_id)[0].id == \
        row(instance_id).volume_id
    assert claims.current(CONTEXT, instance_id) is None


def test_a_resumed_build_continues_after_the_last_finished_step(provider):
    instance_id = factories.create_test_instance()
    run_until = claims.claim(CONTEXT, instance_id, 'create', owner='tm-1')
    first = create.CreateFlow(CONTEXT, run_until, provider)
    first.before()
    for step in first.steps[:3]:        # server group, volume, server
        first.run_step(step)
    created = [c for c in provider.compute.calls if c[0] == 'create_server']
    assert len(created) == 1
    # tm-1 dies; its lease runs out; tm-2 takes the work over.
    with db_api.writer(CONTEXT) as session:
        session.execute(sa.update(db_models.WorkClaim).values(
            lease_expires=db_models.utcnow().replace(year=2000)))
    second = claims.claim(CONTEXT, instance_id, 'create', owner='tm-2')
    assert (second.step, second.attempts) == ('create_server', 2)
    flow = create.CreateFlow(CONTEXT, second, provider)
    assert flow.resumed
    assert [s.name for s in flow.remaining_steps()] == [
        'attach_volume', 'send_prepare', 'wait_for_guest']
    flow.run()
    assert task(instance_id) is Tasks.NONE
    assert len([c for c in provider.compute.calls
                if c[0] == 'create_server']) == 1


def test_a_resumed_build_without_its_passwords_fails_with_a_fault(provider):
    instance_id = factories.create_test_instance(
        work_args={'databases': [], 'has_secrets': True})
    run(create.CreateFlow, instance_id, provider, secrets=None)
    assert task(instance_id) is Tasks.BUILDING_ERROR_SERVER
    assert 'interrupted before the passwords' in fault(instance_id)
    assert not [c for c in FakeGuest.calls if c[0] == 'prepare']


def test_a_prepare_lost_with_the_broker_is_sent_again(provider,
                                                      monkeypatch):
    """The agent answers a ping but never began its prepare (the message
    was dropped with its queue in a broker restart): the same prepare,
    passwords included, is sent again and the build ends ACTIVE."""
    from trove.taskmanager.flows import build_steps
    monkeypatch.setattr(build_steps, 'PREPARE_RESEND_AFTER', 0.3)
    CONF.set_override('usage_timeout', 10, group='mariadb')
    FakeGuest.on_prepare = 'lost-once'
    instance_id = factories.create_test_instance(
        work_args={'databases': [{'_name': 'shop'}], 'has_secrets': True})
    run(create.CreateFlow, instance_id, provider,
        secrets={'users': [{'_name': 'app', '_password': 'x'}],
                 'root_password': 'r00t'})
    assert task(instance_id) is Tasks.NONE
    prepares = [c[2] for c in FakeGuest.calls if c[0] == 'prepare']
    assert len(prepares) == 2 and prepares[0] == prepares[1]
    assert prepares[1]['users'] == [{'_name': 'app', '_password': 'x'}]
    assert prepares[1]['root_password'] == 'r00t'


def test_a_prepare_is_not_sent_again_to_an_agent_that_does_not_answer(
        provider, monkeypatch):
    from trove.taskmanager.flows import build_steps
    monkeypatch.setattr(build_steps, 'PREPARE_RESEND_AFTER', 0.3)
    FakeGuest.on_prepare = 'hung'
    instance_id = factories.create_test_instance()
    run(create.CreateFlow, instance_id, provider)
    assert task(instance_id) is Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert 'did not report the database ready within 2 seconds' in \
        fault(instance_id)
    assert len([c for c in FakeGuest.calls if c[0] == 'prepare']) == 1
    assert [c for c in FakeGuest.calls if c[0] == 'rpc_ping']


@contextlib.contextmanager
def build_waiting_for_a_silent_guest(provider):
    """A build in its own thread, waiting for a guest that took its
    prepare and says nothing; the block must make it stop within 10 s."""
    FakeGuest.on_prepare = 'silent'
    CONF.set_override('usage_timeout', 30, group='mariadb')
    instance_id = factories.create_test_instance()
    thread = threading.Thread(target=run, args=(create.CreateFlow,
                                                instance_id, provider))
    thread.start()
    try:
        from tests.helpers.processes import wait_until
        wait_until(lambda: any(c[0] == 'prepare' for c in FakeGuest.calls),
                   timeout=10)
        yield instance_id
        thread.join(10)
        assert not thread.is_alive()
    finally:
        thread.join()


def test_a_build_deleted_while_it_waits_stops_quietly(provider):
    with build_waiting_for_a_silent_guest(provider) as instance_id:
        claims.submit_now(CONTEXT, instance_id, 'instance', 'delete')
    assert fault(instance_id) is None
    assert task(instance_id) is Tasks.BUILDING
    # The delete is due and free to claim.
    assert claims.claim(CONTEXT, instance_id, 'delete', owner='tm-2')


def test_a_build_whose_guest_the_delete_stopped_is_cancelled_not_failed(
        provider):
    """The delete that superseded the build stops the guest at once: the
    build reads SHUTDOWN before its once-a-second claim check would have
    told it. That is the build cancelled, not the datastore failing."""
    with build_waiting_for_a_silent_guest(provider) as instance_id:
        time.sleep(0.3)     # past the build's first claim check
        claims.submit_now(CONTEXT, instance_id, 'instance', 'delete')
        service_status.set_status(CONTEXT, instance_id,
                                  states.ServiceStatuses.SHUTDOWN)
    assert fault(instance_id) is None
    assert task(instance_id) is Tasks.BUILDING


def test_delete_removes_what_a_build_made_without_recording_it(provider):
    instance_id = factories.create_test_instance(task=Tasks.DELETING,
                                                 work='delete')
    orphan_volume = provider.volumes.create_volume(
        None, compute_base.VolumeSpec(instance_id=instance_id, size=1))
    orphan = provider.compute.create_server(None, compute_base.ServerSpec(
        instance_id=instance_id, name='orphan', flavor=FLAVORS[0],
        datastore_manager='mariadb', volume_id=orphan_volume.id))
    run(delete.DeleteFlow, instance_id, provider, flow='delete')
    assert row(instance_id).deleted
    assert provider.compute.find_servers(None, instance_id) == []
    assert provider.volumes.find_volumes(None, instance_id) == []
    assert orphan.id not in provider.compute.servers
    assert service_status.get(CONTEXT, instance_id)[0] is \
        states.ServiceStatuses.DELETED


def test_a_failed_restart_ends_with_no_task_and_a_fault(provider):
    instance_id = factories.create_test_instance(task=Tasks.REBOOTING,
                                                 work='restart')
    run(restart.RestartFlow, instance_id, provider, flow='restart')
    assert task(instance_id) is Tasks.NONE
    assert fault(instance_id).startswith('Restarting the datastore failed')


def test_a_later_success_clears_the_fault_it_got_past(provider):
    """The failed restart's fault shows until a restart succeeds; a
    fault recorded while a flow runs is not cleared by its end."""
    instance_id = factories.create_test_instance(task=Tasks.REBOOTING,
                                                 work='restart')
    run(restart.RestartFlow, instance_id, provider, flow='restart')
    assert fault(instance_id).startswith('Restarting the datastore failed')

    FakeGuest.restart_works = True
    set_task(instance_id, Tasks.REBOOTING)
    run(restart.RestartFlow, instance_id, provider, flow='restart')
    assert task(instance_id) is Tasks.NONE
    assert fault(instance_id) is None

    set_task(instance_id, Tasks.REBOOTING)
    work = claims.claim(CONTEXT, instance_id, 'restart', owner='tm-1')
    flow = restart.RestartFlow(CONTEXT, work, provider)
    original = FakeGuest.restart

    def restart_with_a_fault(guest):
        faults.save_fault(CONTEXT, instance_id, 'reported meanwhile')
        return original(guest)

    FakeGuest.restart = restart_with_a_fault
    try:
        flow.run()
    finally:
        FakeGuest.restart = original
    assert fault(instance_id) == 'reported meanwhile'


def set_task(instance_id, task_state):
    """What the API does for a restart: the task, and the work due."""
    with db_api.writer(CONTEXT) as session:
        session.get(db_models.Instance, instance_id).task_id = \
            task_state.code
        claims.submit(session, instance_id, 'instance', 'restart')


def test_a_lost_claim_stops_the_flow_without_recording(provider):
    instance_id = factories.create_test_instance()
    work = claims.claim(CONTEXT, instance_id, 'create', owner='tm-1')
    flow = create.CreateFlow(CONTEXT, work, provider)
    # Another taskmanager took the work over after tm-1's lease ended.
    with db_api.writer(CONTEXT) as session:
        session.execute(sa.update(db_models.WorkClaim).values(
            owner='tm-2'))
    flow.run()
    assert task(instance_id) is Tasks.BUILDING
    assert fault(instance_id) is None
    assert provider.compute.servers == {}
    # tm-1 did not release tm-2's work.
    assert claims.current(CONTEXT, instance_id).owner == 'tm-2'


def test_a_call_lost_with_the_broker_is_made_once_more(monkeypatch):
    """stop_db timed out (the broker restarted under it): once the agent
    answers a ping it is called again; a second timeout is the failure."""
    answers = {'stop_db': [exception.GuestTimeout(instance_id='i',
                                                  timeout=1), 'stopped'],
               'rpc_ping': [exception.GuestTimeout(instance_id='i',
                                                   timeout=1), True]}
    calls = []

    class Guest:
        def __getattr__(self, name):
            def call(*args):
                calls.append(name)
                answer = answers[name].pop(0)
                if isinstance(answer, Exception):
                    raise answer
                return answer
            return call

    class Flow:
        instance_id = 'i'

        def guest(self):
            return Guest()

        def check_cancelled(self):
            pass

    monkeypatch.setattr(common.time, 'sleep', lambda seconds: None)
    assert common.call_riding_out_broker(Flow(), 'stop_db') == 'stopped'
    assert calls == ['stop_db', 'rpc_ping', 'rpc_ping', 'stop_db']
    answers['stop_db'] = [exception.GuestTimeout(instance_id='i', timeout=1)] * 2
    answers['rpc_ping'] = [True]
    with pytest.raises(exception.GuestTimeout):
        common.call_riding_out_broker(Flow(), 'stop_db')
