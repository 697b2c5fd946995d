"""What the instance flows share: the record, the guest, the end states.

``InstanceFlow`` is a ``base.Flow`` on one instance. Its steps read the
instance from the control database (``self.record``, refreshed by
``load``) — the one source of every fact of the instance — and talk to
the provider bundle and the guest. A deleted instance cancels the flow;
a failure is the error task and the fault, written together.
"""

import time

from oslo_log import log as logging

from trove.common import exception, states, template
from trove.conf import CONF
from trove.db import models as db_models
from trove.guestagent import api as guest_api
from trove.records import faults
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import base

LOG = logging.getLogger(__name__)

FlowFailed = base.FlowFailed
Cancelled = base.Cancelled
describe = base.describe


class InstanceGone(base.Cancelled):
    """The instance was deleted while a flow worked on it."""


class InstanceFlow(base.Flow):
    """A flow on one instance, in the instance's ``task`` while it runs."""

    task = None             # the task the API set (only_if_task guard)
    failure_task = states.InstanceTasks.BUILDING_ERROR_SERVER

    def __init__(self, context, work, provider, runner=None):
        super().__init__(context, work, provider, runner)
        self.record = None
        self.started_at = None

    @property
    def instance_id(self):
        return self.resource_id

    @property
    def compute(self):
        return self.provider.compute

    @property
    def volumes(self):
        return self.provider.volumes

    def before(self):
        self.started_at = db_models.utcnow()
        self.load()

    def load(self):
        """Refresh the instance record; InstanceGone if it was deleted
        (or is being deleted and this is not the delete)."""
        record = records.load(self.context, self.instance_id)
        if record is None or record.deleted or (
                record.gone and self.name != 'delete'):
            raise InstanceGone('instance %s was deleted' % self.instance_id)
        self.record = record
        return record

    def guest(self):
        return guest_api.API(self.context, self.instance_id)

    def server_id(self):
        if not self.record.compute_instance_id:
            raise exception.ComputeError(
                reason='instance %s has no server' % self.instance_id)
        return self.record.compute_instance_id

    def manager(self):
        return self.record.datastore_manager

    def flavor(self, flavor_id=None):
        """The instance's flavor (or ``flavor_id``) from the provider."""
        return self.provider.flavors.get(
            self.context, flavor_id or self.record.flavor_id).to_dict()

    def render_config(self, flavor):
        """The datastore config of this instance for ``flavor``."""
        record = self.record
        return template.render_config(
            flavor, record.datastore_name, record.datastore_version_name,
            record.datastore_manager, record.id,
            version_number=record.datastore_version_number)

    # End states --------------------------------------------------------------
    def on_failed(self, failure):
        """The error task and the fault, in one transaction; nothing if
        another task took the instance over meanwhile."""
        if not records.fail(self.context, self.instance_id, failure.task,
                            failure.message, failure.details,
                            only_if_task=self.task):
            LOG.info('Instance %s moved on from %s; not recording: %s',
                     self.instance_id, self.task, failure)

    def end_task(self, **values):
        """Back to task NONE, unless another task took over meanwhile."""
        records.update(self.context, self.instance_id,
                       task=states.InstanceTasks.NONE,
                       only_if_task=self.task, **values)

    def clear_resolved(self):
        """A fault recorded before this flow began described a failure
        the flow has now got past (a resize after a full volume, a
        restart after a failed one): the view stops showing it. It stays
        in the event log; a fault recorded while the flow ran stays."""
        if self.started_at is not None:
            faults.clear_fault(self.context, self.instance_id,
                               recorded_before=self.started_at)

    def save_fault(self, message, details=''):
        faults.save_fault(self.context, self.instance_id, message, details)


def call_riding_out_broker(flow, method, *args, **kwargs):
    """``flow.guest().<method>(...)``; if it times out, wait (up to
    ``agent_call_high_timeout``) for the agent to answer a ping and call
    once more. A call made while RabbitMQ restarts times out, or its
    message is dropped with the queue it waited in; the agent itself was
    never asked. Only for calls that may safely run twice (stopping or
    starting the engine)."""
    guest = flow.guest()
    try:
        return getattr(guest, method)(*args, **kwargs)
    except exception.GuestTimeout as error:
        first = error
    LOG.warning('%s of instance %s timed out (%s); waiting for its agent '
                'to answer a ping to try once more', method,
                flow.instance_id, first)
    deadline = time.monotonic() + CONF.agent_call_high_timeout
    while True:
        try:
            guest.rpc_ping()
            break
        except exception.TroveError:
            if time.monotonic() >= deadline:
                raise first
            flow.check_cancelled()
            time.sleep(1)
    return getattr(guest, method)(*args, **kwargs)


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
        flow.check_cancelled()
        time.sleep(min(1.0, max(deadline - time.monotonic(), 0.05)))
