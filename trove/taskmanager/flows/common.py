"""What every taskmanager flow shares: failures, deadlines, the guest.

A flow is a class whose ``run`` calls small step methods in order. A step
that cannot go on raises ``FlowFailed`` with the task the instance ends in
and a message the user can act on; ``InstanceGone`` stops a flow quietly
when the instance was deleted under it.
"""

import time

from oslo_log import log as logging

from trove.common import exception, states, template
from trove.conf import CONF
from trove.guestagent import api as guest_api
from trove.instance import faults
from trove.taskmanager import instance_records as records

LOG = logging.getLogger(__name__)


class FlowFailed(Exception):
    """A step failed; ``message`` None keeps a fault already recorded
    (one the guest reported itself)."""

    def __init__(self, task, message, details=''):
        super().__init__(message or task.db_text)
        self.task = task
        self.message = message
        self.details = details


class InstanceGone(Exception):
    """The instance was deleted while a flow worked on it."""


class Drivers:
    """The providers a flow works with."""

    def __init__(self, compute, volumes):
        self.compute = compute
        self.volumes = volumes


class Flow:
    """Base of the flows: one instance, one context, the drivers."""

    def __init__(self, context, instance_id, drivers, work):
        self.context = context
        self.instance_id = instance_id
        self.compute = drivers.compute
        self.volumes = drivers.volumes
        self.work = work
        self.record = None

    def load(self):
        """Refresh the instance record; InstanceGone if it was deleted."""
        record = records.load(self.context, self.instance_id)
        if record is None or record.gone:
            raise InstanceGone(self.instance_id)
        self.record = record
        return record

    def guest(self):
        return guest_api.API(self.context, self.instance_id)

    def server_id(self):
        return self.record.compute_instance_id or self.instance_id

    def manager(self):
        return self.record.datastore_manager

    def render_config(self, flavor, manager=None, version_number=None):
        """The datastore config of this instance for ``flavor``."""
        record = self.record
        return template.render_config(
            flavor, record.datastore_name, record.datastore_version_name,
            manager or record.datastore_manager, record.id,
            version_number=version_number
            or record.datastore_version_number)

    def fail(self, failure, only_if_task=None):
        """Record a failure: the fault (unless kept) and the task; with
        ``only_if_task``, nothing if another task took over meanwhile."""
        if only_if_task is not None:
            record = records.load(self.context, self.instance_id)
            if record is None or record.gone or \
                    record.task is not only_if_task:
                LOG.info('Instance %s moved on to %s; not recording: %s',
                         self.instance_id, record and record.task, failure)
                return
        if failure.message is not None:
            faults.save_fault(self.context, self.instance_id,
                              failure.message, failure.details)
        records.update(self.context, self.instance_id, task=failure.task,
                       only_if_task=only_if_task)

    def end_task(self, expected, **values):
        """Back to task NONE, unless another task took over meanwhile."""
        records.update(self.context, self.instance_id,
                       task=states.InstanceTasks.NONE,
                       only_if_task=expected, **values)

    def save_fault(self, message, details=''):
        faults.save_fault(self.context, self.instance_id, message, details)


def datastore_option(manager, name, default=None):
    """``[<manager>] <name>``, or ``default`` if there is no such option."""
    try:
        value = getattr(CONF.get(manager), name)
    except Exception:   # unknown group or option
        return default
    return default if value is None else value


def build_timeout(manager, restoring):
    """Seconds a new instance may take to become active."""
    if restoring:
        return CONF.restore_usage_timeout
    return datastore_option(manager, 'usage_timeout', CONF.usage_timeout)


def describe(error):
    """One line about an error, for a fault message."""
    if isinstance(error, exception.TroveError):
        return str(error)
    text = str(error).strip()
    return '%s: %s' % (type(error).__name__, text) if text \
        else type(error).__name__


def wait_for_server(flow, wanted, timeout):
    """Poll the server until its status is ``wanted``; returns it. A
    server in ERROR or a passed deadline raises exception.ComputeError."""
    deadline = time.monotonic() + timeout
    while True:
        server = flow.compute.get_server(flow.context, flow.server_id())
        if server.status == wanted:
            return server
        if server.status == states.ServerStatus.ERROR:
            raise exception.ComputeError(
                reason=server.fault or 'the server is in ERROR')
        if time.monotonic() >= deadline:
            raise exception.ComputeError(
                reason='the server did not become %s within %d seconds '
                       '(it is %s)' % (wanted, timeout, server.status))
        time.sleep(min(1.0, max(deadline - time.monotonic(), 0.05)))
