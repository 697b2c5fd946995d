"""Resizing an instance: growing its volume, or changing its flavor.

The API checked the request, set task RESIZING and reserved the quota.
Volume: extend the volume, record the size, let the guest grow its
filesystem. Flavor: stop the datastore, resize the server, start the
datastore with the configuration rendered for the new flavor, record it;
on failure the server and configuration go back to the old flavor and
the datastore is started again. Both end with task NONE, with a fault
on failure.
"""

import traceback

from oslo_log import log as logging

from trove.common import states
from trove.configuration import instances as configuration_instances
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import common

LOG = logging.getLogger(__name__)

RESIZING = states.InstanceTasks.RESIZING


class ResizeVolumeFlow(common.Flow):

    def __init__(self, context, instance_id, new_size, drivers, work):
        super().__init__(context, instance_id, drivers, work)
        self.new_size = int(new_size)

    def run(self):
        try:
            self.load()
            self.extend_volume()
            self.resize_filesystem()
        except common.InstanceGone:
            return
        except Exception as error:
            LOG.exception('Resizing the volume of %s failed',
                          self.instance_id)
            self.save_fault('Resizing the volume to %d GB failed: %s'
                            % (self.new_size, common.describe(error)),
                            traceback.format_exc())
        self.end_task(RESIZING)

    def extend_volume(self):
        if not self.record.volume_id:
            raise RuntimeError('the instance has no volume')
        with self.work.lock(self.instance_id):
            self.volumes.extend_volume(self.context, self.record.volume_id,
                                       self.new_size)
        records.update(self.context, self.instance_id,
                       volume_size=self.new_size)

    def resize_filesystem(self):
        manager = self.manager()
        self.guest().resize_fs(
            device_path=common.datastore_option(manager, 'device_path'),
            mount_point=common.datastore_option(manager, 'mount_point'),
            online=True)
        LOG.info('Volume of instance %s is now %d GB', self.instance_id,
                 self.new_size)


class ResizeFlavorFlow(common.Flow):

    def __init__(self, context, instance_id, old_flavor, new_flavor, drivers,
                 work):
        super().__init__(context, instance_id, drivers, work)
        self.old_flavor = dict(old_flavor or {})
        self.new_flavor = dict(new_flavor or {})
        self.server_resized = False

    def run(self):
        try:
            self.load()
            config = self.render_config(self.new_flavor)
            self.stop_datastore()
            self.resize_server(self.new_flavor)
            self.start_datastore(config)
            self.end_task(RESIZING, flavor_id=str(self.new_flavor['id']))
            LOG.info('Instance %s now has flavor %s', self.instance_id,
                     self.new_flavor.get('id'))
            return
        except common.InstanceGone:
            return
        except Exception as error:
            LOG.exception('Resizing instance %s to flavor %s failed',
                          self.instance_id, self.new_flavor.get('id'))
            details = traceback.format_exc()
            self.revert()
            self.save_fault('Resizing to flavor %s failed: %s'
                            % (self.new_flavor.get('name')
                               or self.new_flavor.get('id'),
                               common.describe(error)), details)
        self.end_task(RESIZING)

    def stop_datastore(self):
        self.guest().stop_db()

    def resize_server(self, flavor):
        with self.work.lock(self.instance_id):
            self.compute.resize_server(self.context, self.server_id(),
                                       flavor)
        self.server_resized = flavor is self.new_flavor

    def start_datastore(self, config):
        self.guest().start_db_with_conf_changes(
            config, self.record.datastore_version_number)
        # The engine restarted with every override: none is pending.
        configuration_instances.record_restarted(self.context,
                                                 self.instance_id)

    def revert(self):
        """Back to the old flavor and its configuration, engine started."""
        try:
            if self.server_resized:
                self.resize_server(self.old_flavor)
            self.start_datastore(self.render_config(self.old_flavor))
        except Exception:
            LOG.exception('Reverting instance %s to flavor %s failed too',
                          self.instance_id, self.old_flavor.get('id'))
