"""Applying a changed configuration group to one attached instance.

The API applies a changed group to every attached instance itself before
it answers (trove.configuration.instances.apply_to_attached); this flow
serves the taskmanager's ``update_configuration`` (RPC 1.1) for API
servers older than that, with the same per-instance apply: the current
values written and applied by the guest, a pending restart recorded, and
anything that keeps it from happening the instance's fault. It claims no
work: it changes no task.
"""

from trove.configuration import instances as configuration_instances


class ReapplyFlow:

    name = 'update_configuration'

    def __init__(self, context, instance_id, configuration_id):
        self.context = context
        self.instance_id = instance_id
        self.configuration_id = configuration_id

    def run(self):
        configuration_instances.reapply(self.context, self.instance_id,
                                        self.configuration_id)
