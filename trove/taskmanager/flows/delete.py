"""Deleting an instance: stop the datastore, remove server and volume.

The API set task DELETING (and released the quota) and submitted the
``delete`` work, also while the instance builds: the build sees it was
superseded and stops, and this flow waits for it to let go. The flow
leaves nothing behind — no process, directory, address, server, volume,
server group or broker user, including any a dead build made without
recording — and then soft-deletes the row: ``deleted``, service status DELETED,
fault cleared. If something cannot be removed, the instance ends in
DELETING_ERROR with a fault, so the user can retry.
"""

from oslo_log import log as logging

from trove.common import broker_users
from trove.common import notification
from trove.common import states
from trove.compute import base as compute_base
from trove.records import faults, service_status
from trove.taskmanager import usage
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import base, common

LOG = logging.getLogger(__name__)

Tasks = states.InstanceTasks


class StopDatastore(base.Step):
    """A clean engine shutdown first, if the guest is there to do it;
    best effort: removing the server stops everything anyway."""

    name = 'stop_datastore'

    def run(self, flow):
        server_id = flow.record.compute_instance_id
        if not server_id:
            return
        try:
            server = flow.compute.get_server(flow.context, server_id)
        except Exception:
            return
        if server.status != states.ServerStatus.ACTIVE:
            return
        try:
            flow.guest().stop_db()
        except Exception as error:
            LOG.info('Guest of %s did not stop its datastore before '
                     'deletion: %s', flow.instance_id, error)


def recorded_and_found(recorded_id, found):
    """The recorded id, then every other one the provider found for the
    instance (made by a build that died before recording it)."""
    ids = [recorded_id] if recorded_id else []
    return ids + [item.id for item in found if item.id not in ids]


class DeleteServers(base.Step):
    name = 'delete_server'
    failure_task = Tasks.DELETING_ERROR
    failure = 'Could not delete the server: %s; delete the instance again.'

    def run(self, flow):
        record = flow.record
        for server_id in recorded_and_found(
                record.compute_instance_id,
                flow.compute.find_servers(flow.context, record.id)):
            try:
                flow.compute.delete_server(flow.context, server_id)
            except compute_base.ServerNotFound:
                LOG.info('Server %s of %s was already gone', server_id,
                         record.id)


class DeleteVolumes(base.Step):
    name = 'delete_volume'
    failure_task = Tasks.DELETING_ERROR
    failure = ('Could not delete the data volume: %s; delete the instance '
               'again.')

    def run(self, flow):
        record = flow.record
        for volume_id in recorded_and_found(
                record.volume_id,
                flow.volumes.find_volumes(flow.context, record.id)):
            try:
                volume = flow.volumes.get_volume(flow.context, volume_id)
                if volume.attached_to:
                    # Its server is gone (deleted above, or never
                    # recorded): a stale attachment must not keep it.
                    flow.volumes.detach_volume(flow.context, volume_id,
                                               volume.attached_to)
                flow.volumes.delete_volume(flow.context, volume_id)
            except compute_base.VolumeNotFound:
                LOG.info('Volume %s of %s was already gone', volume_id,
                         record.id)


class DeleteServerGroup(base.Step):
    name = 'delete_server_group'
    failure_task = Tasks.DELETING_ERROR
    failure = ('Could not delete the server group: %s; delete the instance '
               'again.')

    def run(self, flow):
        group_id = flow.record.server_group_id
        if not group_id or flow.record.cluster_id:
            # A cluster's members share its group: the cluster's delete
            # removes it.
            return
        try:
            flow.compute.delete_server_group(flow.context, group_id)
        except compute_base.ServerGroupNotFound:
            pass


class DeleteBrokerUser(base.Step):
    """The instance's own RabbitMQ user (guest_broker_users), once its
    server (and so its agent) is gone."""

    name = 'delete_broker_user'
    failure_task = Tasks.DELETING_ERROR
    failure = ('Could not delete the broker user of the instance: %s; '
               'delete the instance again.')

    def run(self, flow):
        if broker_users.enabled():
            broker_users.remove(flow.instance_id)


class DeleteFlow(common.InstanceFlow):

    name = 'delete'
    task = Tasks.DELETING
    failure_task = Tasks.DELETING_ERROR
    steps = (StopDatastore(), DeleteServers(), DeleteVolumes(),
             DeleteServerGroup(), DeleteBrokerUser())

    def clear_resolved(self):
        """``succeeded`` cleared every fault: the instance is gone."""

    def succeeded(self):
        records.soft_delete(self.context, self.instance_id)
        service_status.set_status(self.context, self.instance_id,
                                  states.ServiceStatuses.DELETED)
        faults.clear_fault(self.context, self.instance_id)
        LOG.info('Instance %s deleted', self.instance_id)
        usage.instance_event(self, 'delete',
                             deleted_at=notification.now_text())
