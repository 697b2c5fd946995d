"""What the agent tells the conductor about its engine, and its markers.

Markers in ``guest_state_dir`` survive an agent restart, so a restarted
agent knows without any RPC whether the instance was prepared (and
resumes heartbeats), whether prepare failed, and whether the engine was
stopped on request (``shutdown``) or died by itself (``crashed``).

Heartbeats are casts to the conductor; a failure to send one is logged
and never breaks the operation that reported it.
"""

import os
import threading

from oslo_log import log as logging

from trove.common import context as trove_context
from trove.common.states import ServiceStatuses
from trove.conductor import api as conductor_api
from trove.conf import CONF
from trove.guestagent import operating_system

LOG = logging.getLogger(__name__)

PREPARE_START = '.guestagent.prepare.start'
PREPARE_END = '.guestagent.prepare.end'
PREPARE_FAILED = '.guestagent.prepare.failed'
ENGINE_STOPPED = 'engine.stopped'
AGENT_READY = 'agent.ready'
AGENT_SERVED = 'agent.served'

CREATE_EVENT = 'instance_create'


def derive_status(prepare_failed, process_alive, query_ok,
                  stopped_on_request):
    """The service status of the engine from what the agent observes.

    An engine that died without being asked to stop has crashed; one that
    runs but does not answer a query yet is still starting (``running``).
    """
    if prepare_failed:
        return ServiceStatuses.FAILED
    if process_alive:
        return ServiceStatuses.HEALTHY if query_ok else \
            ServiceStatuses.RUNNING
    if stopped_on_request:
        return ServiceStatuses.SHUTDOWN
    return ServiceStatuses.CRASHED


class StatusReporter:
    """Prepare markers and heartbeats of one guest agent."""

    def __init__(self, state_dir=None, instance_id=None):
        self.state_dir = state_dir or CONF.guest_state_dir
        self.instance_id = instance_id or CONF.guest_id
        self.last_reported = None
        self._conductor = None
        self._lock = threading.Lock()

    def _path(self, name):
        return os.path.join(self.state_dir, name)

    @property
    def conductor(self):
        """The conductor's client. Its casts carry the context of the
        request this thread is serving, if any, so the conductor's lines
        about them carry that request's id; else the agent's own."""
        with self._lock:
            if self._conductor is None:
                context = trove_context.get_admin_context(
                    project_id=CONF.tenant_id)
                self._conductor = conductor_api.API(context)
            serving = trove_context.current()
            if serving is None or serving is self._conductor.context:
                return self._conductor
            return conductor_api.API(serving)

    # Markers -------------------------------------------------------------
    def _touch(self, name, contents=''):
        operating_system.write_file(self._path(name), contents, mode=0o600)

    @property
    def is_prepared(self):
        return os.path.exists(self._path(PREPARE_END))

    @property
    def prepare_failed(self):
        return os.path.exists(self._path(PREPARE_FAILED))

    @property
    def prepare_ended(self):
        """Prepare ran to an end (success or failure): heartbeats are due."""
        return self.is_prepared or self.prepare_failed

    @property
    def stopped_on_request(self):
        return os.path.exists(self._path(ENGINE_STOPPED))

    def mark_stopped(self, stopped):
        if stopped:
            self._touch(ENGINE_STOPPED)
        else:
            operating_system.remove(self._path(ENGINE_STOPPED))

    # Reports -------------------------------------------------------------
    def report(self, status, fault=None):
        """Send ``status`` to the conductor now (with a fault message
        that becomes the instance's fault, if given)."""
        self.last_reported = status
        payload = {'service_status': status.description}
        if fault:
            payload['fault'] = {'message': fault, 'details': ''}
        try:
            self.conductor.heartbeat(self.instance_id, payload)
        except Exception:
            LOG.exception('Could not send heartbeat %s', status.description)

    def report_progress(self, fields):
        """A restore's progress while prepare runs (the heartbeat's
        optional ``progress`` key; the status does not change)."""
        try:
            self.conductor.heartbeat(self.instance_id,
                                     {'progress': fields})
        except Exception:
            LOG.exception('Could not report the progress of a restore')

    def report_root_enabled(self, user=None):
        """Tell the conductor root was enabled (root history), as
        upstream's agent does after enabling root in prepare."""
        try:
            self.conductor.report_root(self.instance_id, user=user)
        except Exception:
            LOG.exception('Could not report that root was enabled')

    def begin_install(self):
        operating_system.remove(self._path(PREPARE_FAILED))
        self._touch(PREPARE_START)
        self.report(ServiceStatuses.BUILDING)

    def end_install(self, status):
        self._touch(PREPARE_END)
        self.report(status)

    def fail_install(self, message, details=''):
        """Prepare failed: record it, and report the status and the
        fault in ONE message, so the conductor writes them together and
        nobody waits for a second message."""
        self._touch(PREPARE_FAILED, message + '\n')
        self.last_reported = ServiceStatuses.FAILED
        try:
            self.conductor.heartbeat_with_fault(
                self.instance_id, ServiceStatuses.FAILED.description,
                message, details, event_type=CREATE_EVENT)
        except Exception:
            LOG.exception('Could not report the prepare failure')
