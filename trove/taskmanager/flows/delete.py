"""Deleting an instance: stop the datastore, remove server and volume.

The API set task DELETING (and released the quota) before casting here.
The flow leaves nothing behind — no process, directory, address, server
or volume — and then soft-deletes the row: ``deleted``, service status
DELETED, fault cleared. If the server or volume cannot be removed, the
instance ends in DELETING_ERROR with a fault, so the user can retry.
"""

import traceback

from oslo_log import log as logging

from trove.common import states
from trove.compute import base
from trove.instance import faults, service_status
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import common

LOG = logging.getLogger(__name__)

Tasks = states.InstanceTasks


class DeleteFlow(common.Flow):

    def run(self):
        record = records.load(self.context, self.instance_id)
        if record is None or record.deleted:
            LOG.info('Instance %s is already deleted', self.instance_id)
            return
        self.record = record
        try:
            with self.work.lock(self.instance_id):
                self.stop_datastore()
                self.delete_server()
                self.delete_volume()
                self.mark_deleted()
        except common.FlowFailed as failure:
            LOG.warning('Deleting instance %s failed: %s', self.instance_id,
                        failure)
            self.fail(failure)

    def stop_datastore(self):
        """A clean engine shutdown first, if the guest is there to do it;
        it is best effort: the server deletion stops everything anyway."""
        try:
            server = self.compute.get_server(self.context, self.server_id())
        except Exception:
            return
        if server.status != states.ServerStatus.ACTIVE:
            return
        try:
            self.guest().stop_db()
        except Exception as error:
            LOG.info('Guest of %s did not stop its datastore before '
                     'deletion: %s', self.instance_id, error)

    def delete_server(self):
        try:
            self.compute.delete_server(self.context, self.server_id())
        except base.ServerNotFound:
            LOG.info('Server of %s was already gone', self.instance_id)
        except Exception as error:
            LOG.exception('Server of %s could not be deleted',
                          self.instance_id)
            raise common.FlowFailed(
                Tasks.DELETING_ERROR,
                'Could not delete the server: %s; delete the instance '
                'again.' % common.describe(error),
                traceback.format_exc()) from error

    def delete_volume(self):
        volume_id = self.record.volume_id
        if not volume_id:
            return
        try:
            self.volumes.delete_volume(self.context, volume_id)
        except base.VolumeNotFound:
            LOG.info('Volume of %s was already gone', self.instance_id)
        except Exception as error:
            LOG.exception('Volume of %s could not be deleted',
                          self.instance_id)
            raise common.FlowFailed(
                Tasks.DELETING_ERROR,
                'Could not delete the data volume: %s; delete the instance '
                'again.' % common.describe(error),
                traceback.format_exc()) from error

    def mark_deleted(self):
        records.soft_delete(self.context, self.instance_id)
        service_status.set_status(self.context, self.instance_id,
                                  states.ServiceStatuses.DELETED)
        faults.clear_fault(self.context, self.instance_id)
        LOG.info('Instance %s deleted', self.instance_id)
