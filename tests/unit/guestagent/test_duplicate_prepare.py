"""A prepare sent again (the taskmanager took the first for lost) while
one runs returns at once and runs nothing; one sent after the instance is
prepared is ignored too."""

import threading
import types

from tests.helpers.processes import wait_until
from trove.guestagent.datastore import manager as guest_manager


class Reporter:
    """The markers of guest_status.StatusReporter, without a conductor."""

    def __init__(self):
        self.is_prepared = False
        self.prepare_failed = False
        self.stopped_on_request = False
        self.reports = []

    def begin_install(self):
        self.reports.append('building')

    def end_install(self, status):
        self.is_prepared = True
        self.reports.append('prepared')

    def fail_install(self, message, details=''):
        self.reports.append('failed: ' + message)

    def mark_stopped(self, stopped):
        pass


class SlowManager(guest_manager.Manager):

    manager_name = 'test'

    def __init__(self):
        super().__init__()
        self.status = Reporter()
        self._engine = types.SimpleNamespace(mount_point='/data')
        self.release = threading.Event()
        self.runs = 0

    def use_volume(self, device_path, mount_point):
        pass

    def actual_status(self):
        return 'healthy'

    def do_prepare(self, **kwargs):
        self.runs += 1
        self.release.wait(10)


def test_a_duplicate_prepare_returns_at_once_and_runs_nothing():
    agent = SlowManager()
    first = threading.Thread(target=agent.prepare, args=(None,))
    first.start()
    wait_until(lambda: agent.runs == 1, timeout=5)
    duplicate = threading.Thread(target=agent.prepare, args=(None,))
    duplicate.start()
    duplicate.join(2)
    assert not duplicate.is_alive(), 'the duplicate waited for the first'
    agent.release.set()
    first.join(10)
    assert agent.runs == 1
    assert agent.status.reports == ['building', 'prepared']
    agent.prepare(None)     # prepared: ignored
    assert agent.runs == 1
