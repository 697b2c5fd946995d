"""Applying a changed configuration group to one attached instance.

The API saved the group's new values and cast ``update_configuration``
for each instance using it. The flow reads the values when it runs (so
two quick edits end with the latest), has the guest write and apply
them, and records a pending restart or, if the engine refused a value
or the guest could not be reached, the instance's fault. It holds the
instance's lock so it never interleaves with a build or a delete.
"""

from oslo_log import log as logging

from trove.configuration import instances as configuration_instances
from trove.taskmanager.flows import common

LOG = logging.getLogger(__name__)


class ReapplyFlow(common.Flow):

    def __init__(self, context, instance_id, configuration_id, drivers,
                 work):
        super().__init__(context, instance_id, drivers, work)
        self.configuration_id = configuration_id

    def run(self):
        try:
            self.load()
        except common.InstanceGone:
            return
        with self.work.lock(self.instance_id):
            configuration_instances.reapply(self.context, self.instance_id,
                                            self.configuration_id)
