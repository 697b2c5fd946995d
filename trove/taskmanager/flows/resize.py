"""Resizing an instance: growing its volume, or changing its flavor.

The API checked the request, set task RESIZING, reserved the quota and
submitted the work with the new size or flavor as its argument. Volume:
extend the volume, record the size, let the guest grow its filesystem.
Flavor: stop the datastore, resize the server, start the datastore with
the configuration rendered for the new flavor, record it; on failure the
server and configuration go back to the old flavor and the datastore is
started again. Both end with task NONE, with a fault on failure; both
are safe to resume after a taskmanager died.
"""

from oslo_log import log as logging

from trove.common import notification
from trove.common import states
from trove.configuration import instances as configuration_instances
from trove.taskmanager import usage
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import base, common

LOG = logging.getLogger(__name__)

RESIZING = states.InstanceTasks.RESIZING


class ResizeFlow(common.InstanceFlow):
    """Ends with task NONE either way; a failure leaves its fault."""

    task = RESIZING
    failure_task = RESIZING

    def on_failed(self, failure):
        if failure.message:
            self.save_fault(failure.message, failure.details)
        self.end_task()


class ExtendVolume(base.Step):
    name = 'extend_volume'

    def run(self, flow):
        if not flow.record.volume_id:
            raise RuntimeError('the instance has no volume')
        volume_id = flow.record.volume_id
        if flow.volumes.extends_online(flow.context, volume_id):
            flow.volumes.extend_volume(flow.context, volume_id,
                                       flow.new_size)
        else:
            # Grown unmounted (the local provider's loop volumes where
            # the kernel refuses an online grow): the engine stops
            # around it, and starts again whatever happened.
            common.call_riding_out_broker(flow, 'stop_db')
            try:
                flow.volumes.extend_volume(flow.context, volume_id,
                                           flow.new_size)
            finally:
                common.call_riding_out_broker(flow, 'restart')
        records.update(flow.context, flow.instance_id,
                       volume_size=flow.new_size)


class ResizeFilesystem(base.Step):
    name = 'resize_filesystem'

    def run(self, flow):
        flow.guest().resize_fs(online=True)
        LOG.info('Volume of instance %s is now %d GB', flow.instance_id,
                 flow.new_size)


class ResizeVolumeFlow(ResizeFlow):

    name = 'resize_volume'
    steps = (ExtendVolume(), ResizeFilesystem())

    @property
    def new_size(self):
        return int(self.work.args['new_size'])

    def run_step(self, step):
        try:
            super().run_step(step)
        except base.FlowFailed as failure:
            failure.message = 'Resizing the volume to %d GB failed: %s' % (
                self.new_size, failure.message)
            raise

    def succeeded(self):
        self.end_task()
        usage.instance_event(self, 'modify_volume',
                             old_volume_size=self.record.volume_size,
                             volume_size=self.new_size,
                             modify_at=notification.now_text())


class StopForResize(base.Step):
    name = 'stop_datastore'

    def run(self, flow):
        common.call_riding_out_broker(flow, 'stop_db')


class ResizeServer(base.Step):
    name = 'resize_server'

    def run(self, flow):
        flow.compute.resize_server(flow.context, flow.server_id(),
                                   flow.new_flavor)
        flow.progress['server_resized'] = True


class StartWithNewFlavor(base.Step):
    name = 'start_datastore'

    def run(self, flow):
        flow.start_datastore(flow.new_flavor)


class ResizeFlavorFlow(ResizeFlow):

    name = 'resize_flavor'
    steps = (StopForResize(), ResizeServer(), StartWithNewFlavor())
    new_flavor = old_flavor = None

    def before(self):
        super().before()
        self.new_flavor = self.flavor(self.work.args['new_flavor_id'])
        self.old_flavor = self.flavor(self.work.args['old_flavor_id'])
        # Rendered first: a bad template fails before anything stops.
        self.render_config(self.new_flavor)

    def start_datastore(self, flavor):
        common.call_riding_out_broker(
            self, 'start_db_with_conf_changes', self.render_config(flavor),
            self.record.datastore_version_number)
        # The engine restarted with every override: none is pending.
        configuration_instances.record_restarted(self.context,
                                                 self.instance_id)

    def succeeded(self):
        self.end_task(flavor_id=str(self.new_flavor['id']))
        usage.instance_event(self, 'modify_flavor',
                             flavor_id=self.new_flavor['id'],
                             old_instance_size=self.old_flavor.get('ram'),
                             instance_size=self.new_flavor.get('ram'),
                             modify_at=notification.now_text())
        LOG.info('Instance %s now has flavor %s', self.instance_id,
                 self.new_flavor['id'])

    def on_failed(self, failure):
        self.revert()
        wanted = self.new_flavor or {'id': self.work.args.get(
            'new_flavor_id')}
        failure.message = 'Resizing to flavor %s failed: %s' % (
            wanted.get('name') or wanted.get('id'), failure.message)
        super().on_failed(failure)

    def revert(self):
        """Back to the old flavor and its configuration, engine started."""
        if self.old_flavor is None or self.record is None:
            return
        try:
            if self.progress.get('server_resized'):
                self.compute.resize_server(self.context, self.server_id(),
                                           self.old_flavor)
            self.start_datastore(self.old_flavor)
        except Exception:
            LOG.exception('Reverting instance %s to flavor %s failed too',
                          self.instance_id, self.old_flavor.get('id'))
