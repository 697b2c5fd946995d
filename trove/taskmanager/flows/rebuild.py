"""Rebuilding an instance's server (management API).

The API set task BUILDING (as upstream) and recorded the image. The flow
stops the datastore, has the provider make the server anew with its data
volume kept, waits for it, and restarts the datastore on the same data.
Like a reboot it ends with task NONE: on failure the fault says why and
the next heartbeat shows the engine's real state.
"""

from oslo_log import log as logging

from trove.common import states
from trove.conf import CONF
from trove.taskmanager.flows import base, common, restart

LOG = logging.getLogger(__name__)


class RebuildServer(base.Step):
    name = 'rebuild_server'
    failure = 'Rebuilding the instance failed: %s'

    def run(self, flow):
        image_id = (flow.work.args or {}).get('image_id')
        flow.compute.rebuild_server(flow.context, flow.server_id(), image_id)
        common.wait_for_server(flow, states.ServerStatus.ACTIVE,
                               CONF.reboot_time_out)
        LOG.info('Server of instance %s rebuilt from image %s',
                 flow.instance_id, image_id)


class RebuildFlow(restart.RebootFlow):

    name = 'rebuild'
    task = states.InstanceTasks.BUILDING
    failure_task = states.InstanceTasks.BUILDING
    steps = (restart.StopDatastore(), RebuildServer(),
             restart.RestartDatastore())
