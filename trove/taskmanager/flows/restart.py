"""Restarting an instance's datastore, and rebooting its server.

``restart``: the API set task REBOOTING and service status RESTARTING;
the guest restarts its engine (and heartbeats as it goes). ``reboot``
(management API) restarts the server — for the local provider the guest
agent process — and then the engine. Both always end with task NONE: on
failure the fault says why and the next heartbeat shows the engine's
real state. Both are safe to run again, so a taskmanager taking them
over after a crash resumes them.
"""

from oslo_log import log as logging

from trove.common import states
from trove.conf import CONF
from trove.configuration import instances as configuration_instances
from trove.taskmanager import instance_tls
from trove.taskmanager.flows import base, common

LOG = logging.getLogger(__name__)

REBOOTING = states.InstanceTasks.REBOOTING


class StopDatastore(base.Step):
    """A clean stop first; a guest that cannot is rebooted anyway."""

    name = 'stop_datastore'

    def run(self, flow):
        try:
            flow.guest().stop_db()
        except Exception as error:
            LOG.info('Guest of %s did not stop its datastore before the '
                     'reboot: %s', flow.instance_id, error)


class RebootServer(base.Step):
    name = 'reboot_server'
    failure = 'Rebooting the instance failed: %s'

    def run(self, flow):
        flow.compute.reboot_server(flow.context, flow.server_id())
        common.wait_for_server(flow, states.ServerStatus.ACTIVE,
                               CONF.reboot_time_out)


class ApplyTls(base.Step):
    """A TLS mode the user changed (POST /instances/{id}/ssl) takes
    effect: the guest gets it and restarts its engine with it."""

    name = 'apply_tls'
    failure = 'Changing the TLS of the instance failed: %s'

    def run(self, flow):
        if instance_tls.apply_requested(flow.context, flow.load(),
                                        flow.guest()):
            flow.engine_restarted = True


class RestartDatastore(base.Step):
    name = 'restart_datastore'
    failure = 'Restarting the datastore failed: %s'

    def run(self, flow):
        if getattr(flow, 'engine_restarted', False):
            # ApplyTls restarted it; a second restart changes nothing.
            configuration_instances.record_restarted(flow.context,
                                                     flow.instance_id)
            return
        # A group change the instance missed takes effect now.
        configuration_instances.apply_before_restart(flow.context,
                                                     flow.instance_id)
        flow.guest().restart()
        # A pending RESTART_REQUIRED is over (heartbeats keep it).
        configuration_instances.record_restarted(flow.context,
                                                 flow.instance_id)
        LOG.info('Datastore of instance %s restarted', flow.instance_id)


class RestartFlow(common.InstanceFlow):

    name = 'restart'
    task = REBOOTING
    failure_task = REBOOTING
    steps = (ApplyTls(), RestartDatastore())

    def succeeded(self):
        self.end_task()

    def on_failed(self, failure):
        if failure.message:
            self.save_fault(failure.message, failure.details)
        self.end_task()


class RebootFlow(RestartFlow):

    name = 'reboot'
    steps = (StopDatastore(), RebootServer(), RestartDatastore())

    def succeeded(self):
        self.end_task(server_status=states.ServerStatus.ACTIVE)

    def on_failed(self, failure):
        if failure.message:
            self.save_fault(failure.message, failure.details)
        self.end_task(server_status=self.current_server_status())

    def current_server_status(self):
        try:
            return self.compute.get_server(self.context,
                                           self.server_id()).status
        except Exception:
            return states.ServerStatus.ERROR
