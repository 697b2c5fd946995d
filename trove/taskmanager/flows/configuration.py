"""Applying a changed configuration group to one attached instance.

The API saved the group's new values and cast ``update_configuration``
for each instance using it. The flow reads the values when it runs (so
two quick edits end with the latest), has the guest write and apply
them, and records a pending restart or, if the engine refused a value,
the instance was not in a state to take it, or the guest could not be
reached, the instance's fault. It claims no work: it changes no task.
"""

from oslo_log import log as logging

from trove.common import exception, states
from trove.conf import CONF
from trove.configuration import instances as configuration_instances
from trove.configuration import models as configuration_models
from trove.configuration import rules as parameter_rules
from trove.db import models as db_models
from trove.records import faults, service_status
from trove.taskmanager import instance_records as records

LOG = logging.getLogger(__name__)


class ReapplyFlow:

    name = 'update_configuration'

    def __init__(self, context, instance_id, configuration_id):
        self.context = context
        self.instance_id = instance_id
        self.configuration_id = configuration_id

    def run(self):
        record = records.load(self.context, self.instance_id)
        if record is None or record.gone:
            return
        if record.configuration_id != self.configuration_id:
            LOG.info('Instance %s no longer uses configuration %s',
                     self.instance_id, self.configuration_id)
            return
        try:
            self.check_state(record)
            group = configuration_models.load(self.context,
                                              self.configuration_id)
            rules = parameter_rules.load_rules(self.context,
                                               group.datastore_version_id)
            restart = configuration_instances.apply(
                self.context, self.instance_id,
                configuration_instances.overrides_of(group, rules), rules)
        except exception.TroveError as error:
            LOG.warning('Configuration %s not applied to %s: %s',
                        self.configuration_id, self.instance_id, error)
            faults.save_fault(self.context, self.instance_id,
                              'The changed configuration group %s was not '
                              'applied: %s' % (self.configuration_id, error))
            return
        configuration_instances.record_outcome(self.context,
                                               self.instance_id, restart)
        LOG.info('Configuration %s re-applied to %s (restart needed for: '
                 '%s)', self.configuration_id, self.instance_id,
                 ', '.join(restart) or 'nothing')

    def check_state(self, record):
        """The API's check (configuration_instances.check_state) on the
        taskmanager's record of the instance."""
        if record.server_status != states.ServerStatus.ACTIVE or \
                record.task not in configuration_instances.SETTLED_TASKS:
            raise exception.InvalidInstanceState(instance_id=record.id)
        status, updated = service_status.get(self.context, record.id)
        status = states.effective_service_status(
            record.task, status, updated, db_models.utcnow(),
            CONF.agent_heartbeat_expiry)
        if status not in configuration_instances.ENGINE_UP_STATUSES:
            raise exception.DatastoreNotRunning(
                instance_id=record.id,
                status=status.api_status if status else 'unknown')
