"""A (re)started agent serves RPC only once its start-up recovery holds
the manager's lock, so an operation that arrives at once waits for the
engine to be back. (A failover's rejoin pings the old primary's new
agent and attaches it at once: it found the engine still down, with
"Can't connect to MySQL server", when the RPC server came first.)"""

import threading
import time
import types

import pytest

from trove.common import service as common_service
from trove.conf import CONF
from trove.guestagent import service as guest_service
from trove.guestagent.datastore import manager as guest_manager


class Reporter:
    """The markers of guest_status.StatusReporter, without a conductor."""
    is_prepared = True
    prepare_failed = False
    stopped_on_request = False

    def report(self, status, fault=None):
        pass


class SlowStartManager(guest_manager.Manager):
    """A prepared instance whose engine is down and takes a while to
    start (a crash recovery)."""

    manager_name = 'test'

    def __init__(self, start_takes):
        super().__init__()
        self.status = Reporter()
        self.engine_up = False
        self.start_takes = start_takes
        self._engine = types.SimpleNamespace(
            is_alive=lambda: self.engine_up, display_name='engine')
        self._overrides = types.SimpleNamespace(start_engine=self._start)

    def _start(self):
        self.start_takes.wait(10)
        self.engine_up = True

    def _start_fenced(self):
        return False

    def actual_status(self):
        return 'healthy' if self.engine_up else 'shutdown'

    def attach(self):
        """What every engine change does: work under the lock."""
        with self._lock:
            return self.engine_up


@pytest.fixture
def agent_conf(tmp_path):
    CONF.set_override('guest_state_dir', str(tmp_path))
    CONF.set_override('guest_id', 'instance-1')
    yield
    CONF.clear_override('guest_state_dir')
    CONF.clear_override('guest_id')


def test_rpc_is_served_only_once_the_recovery_holds_the_lock(
        monkeypatch, agent_conf):
    start_takes = threading.Event()
    manager = SlowStartManager(start_takes)
    seen_at_serving = {}

    def serve(self):
        # Another thread holds the lock: the recovery, starting the engine.
        free = manager._lock.acquire(blocking=False)
        if free:
            manager._lock.release()
        seen_at_serving['lock_free'] = free
    monkeypatch.setattr(common_service.RpcService, 'start', serve)

    service = guest_service.GuestService(manager)
    service.start()
    assert seen_at_serving == {'lock_free': False}, \
        'RPC was served before the recovery took the lock'

    # An operation the RPC server hands over now waits for the engine.
    answers = []
    operation = threading.Thread(target=lambda: answers.append(
        manager.attach()))
    operation.start()
    operation.join(0.3)
    assert operation.is_alive(), 'the operation did not wait for the engine'
    start_takes.set()
    operation.join(10)
    assert answers == [True]


def test_rpc_is_served_even_when_the_recovery_fails(monkeypatch, agent_conf):
    served = threading.Event()
    monkeypatch.setattr(common_service.RpcService, 'start',
                        lambda self: served.set())

    class Broken:
        def update_status(self):
            pass

        def on_agent_start(self, holding):
            raise RuntimeError('no engine here')

    monkeypatch.setattr(guest_service, 'RECOVERY_LOCK_WAIT', 30)
    began = time.monotonic()
    guest_service.GuestService(Broken()).start()
    assert served.is_set()
    assert time.monotonic() - began < 5, 'it waited out RECOVERY_LOCK_WAIT'
