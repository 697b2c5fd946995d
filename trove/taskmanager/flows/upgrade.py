"""Upgrading an instance to another version of its datastore.

The API checked the version (same datastore and manager, not older) and
set task UPGRADING. The guest stops its engine, checks that the new
version's binaries are installed and can run the data it has, starts the
engine on them with the configuration rendered for the new version, and
answers with what runs now. Only then does the instance's datastore
version change. On failure the guest is back on the old version, the
fault says why, and the task ends (NONE) as after a failed restart.
"""

from oslo_log import log as logging

from trove.common import states, template
from trove.db import api as db_api
from trove.db import models as db_models
from trove.taskmanager.flows import base, common

LOG = logging.getLogger(__name__)


class UpgradeDatastore(base.Step):
    name = 'upgrade_datastore'
    failure = 'Upgrading the datastore failed: %s'

    def run(self, flow):
        record, version = flow.record, flow.new_version
        contents = template.render_config(
            flow.flavor(), record.datastore_name, version['name'],
            record.datastore_manager, record.id,
            version_number=version['version'])
        result = flow.guest().upgrade({
            'datastore_version': version['version'],
            'datastore_version_name': version['name'],
            'config_contents': contents})
        LOG.info('Instance %s runs %s %s now (engine %s)', flow.instance_id,
                 record.datastore_name, version['name'],
                 (result or {}).get('engine_version'))


class UpgradeFlow(common.InstanceFlow):

    name = 'upgrade'
    task = states.InstanceTasks.UPGRADING
    failure_task = states.InstanceTasks.UPGRADING
    steps = (UpgradeDatastore(),)
    new_version = None

    def before(self):
        super().before()
        version_id = self.work.args['datastore_version_id']
        with db_api.reader(self.context) as session:
            row = session.get(db_models.DatastoreVersion, version_id)
            if row is None:
                raise base.FlowFailed(self.failure_task,
                                      'Datastore version %s does not exist '
                                      'any more.' % version_id)
            self.new_version = {'id': row.id, 'name': row.name,
                                'version': row.version}

    def succeeded(self):
        self.end_task(datastore_version_id=self.new_version['id'])

    def on_failed(self, failure):
        if failure.message:
            self.save_fault(failure.message, failure.details)
        self.end_task()
