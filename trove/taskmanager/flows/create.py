"""Building a new instance: volume, server, guest prepare, wait for ready.

The API created the rows (task BUILDING, service status NEW) and the
``create`` work before casting here. The cast carries only the ids and
the secrets (user and root passwords); everything else is read from the
control database. Every way this can end is terminal: task NONE with the
server ACTIVE, or an error task with a fault saying what went wrong —
the volume or server could not be made, the guest agent died, the
datastore failed to start, or the guest did not report ready in time.
If the instance is deleted meanwhile the flow stops quietly (the delete
removes what it made); if its taskmanager dies, another resumes it.
"""

from trove.common import states
from trove.taskmanager import usage
from trove.taskmanager.flows import build_steps as steps
from trove.taskmanager.flows import common

Tasks = states.InstanceTasks


class CreateFlow(common.InstanceFlow):

    name = 'create'
    task = Tasks.BUILDING
    failure_task = Tasks.BUILDING_ERROR_SERVER
    steps = (steps.CreateServerGroup(), steps.CreateVolume(),
             steps.CreateServer(), steps.AttachVolume(),
             steps.SendPrepare(), steps.WaitForGuest())

    def __init__(self, context, work, provider, runner=None, secrets=None):
        super().__init__(context, work, provider, runner)
        # {"users": [...], "root_password": ...}; None when resumed by a
        # taskmanager that never received the cast.
        self.secrets = secrets
        self.config_contents = None

    def before(self):
        steps.begin_build(self)

    def succeeded(self):
        steps.finish(self)
        usage.instance_event(self, 'create')
