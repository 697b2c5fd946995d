"""Restarting an instance's datastore, and rebooting its server.

``restart``: the API set task REBOOTING and service status RESTARTING;
the guest restarts its engine (and heartbeats as it goes). ``reboot``
(management API) restarts the server — for the local provider the guest
agent process — and then the engine. Both always end with task NONE: on
failure the fault says why and the next heartbeat shows the engine's
real state.
"""

import traceback

from oslo_log import log as logging

from trove.common import states
from trove.conf import CONF
from trove.configuration import instances as configuration_instances
from trove.taskmanager.flows import common

LOG = logging.getLogger(__name__)

REBOOTING = states.InstanceTasks.REBOOTING


class RestartFlow(common.Flow):

    def run(self):
        try:
            self.load()
            self.restart_datastore()
        except common.InstanceGone:
            return
        except Exception as error:
            LOG.exception('Restarting instance %s failed', self.instance_id)
            self.save_fault('Restarting the datastore failed: %s'
                            % common.describe(error),
                            traceback.format_exc())
        self.end_task(REBOOTING)

    def restart_datastore(self):
        # A group change the instance missed takes effect now.
        configuration_instances.apply_before_restart(self.context,
                                                     self.instance_id)
        self.guest().restart()
        # A pending RESTART_REQUIRED is over (heartbeats keep it).
        configuration_instances.record_restarted(self.context,
                                                 self.instance_id)
        LOG.info('Datastore of instance %s restarted', self.instance_id)


class RebootFlow(common.Flow):

    def run(self):
        try:
            self.load()
            self.stop_datastore()
            self.reboot_server()
            self.restart_datastore()
            self.end_task(REBOOTING,
                          server_status=states.ServerStatus.ACTIVE)
            return
        except common.InstanceGone:
            return
        except Exception as error:
            LOG.exception('Rebooting instance %s failed', self.instance_id)
            self.save_fault('Rebooting the instance failed: %s'
                            % common.describe(error),
                            traceback.format_exc())
        self.end_task(REBOOTING, server_status=self.current_server_status())

    def stop_datastore(self):
        """A clean stop first; a guest that cannot is rebooted anyway."""
        try:
            self.guest().stop_db()
        except Exception as error:
            LOG.info('Guest of %s did not stop its datastore before the '
                     'reboot: %s', self.instance_id, error)

    def reboot_server(self):
        self.compute.reboot_server(self.context, self.server_id())
        common.wait_for_server(self, states.ServerStatus.ACTIVE,
                               CONF.reboot_time_out)

    def restart_datastore(self):
        configuration_instances.apply_before_restart(self.context,
                                                     self.instance_id)
        self.guest().restart()
        configuration_instances.record_restarted(self.context,
                                                 self.instance_id)
        LOG.info('Instance %s rebooted', self.instance_id)

    def current_server_status(self):
        try:
            return self.compute.get_server(self.context,
                                           self.server_id()).status
        except Exception:
            return states.ServerStatus.ERROR
