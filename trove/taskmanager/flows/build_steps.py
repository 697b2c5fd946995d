"""Steps that build an instance's resources, shared by every build flow
(a new instance, a restore, later a replica or a cluster member).

Each step reads the instance from its record and records what it made
before returning, so it is safe to run again: a taskmanager resuming a
build finds the server group, volume or server a dead one made (by the
instance id in their metadata, even if the crash kept it from being
recorded) and adopts it instead of making a second one.
"""

import time

from oslo_log import log as logging

from trove.common import exception, states, template
from trove.compute import base as compute_base
from trove.conf import CONF
from trove.configuration import instances as configuration_instances
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import service_status
from trove.module import instance_modules
from trove.taskmanager import guest_files
from trove.taskmanager import instance_records as records
from trove.taskmanager import instance_tls
from trove.taskmanager.flows import backup as backup_flows
from trove.taskmanager.flows import base, common
from trove.taskmanager.flows import guest_status_watch

LOG = logging.getLogger(__name__)

Tasks = states.InstanceTasks
# Seconds between reads of the guest's reported status while building.
STATUS_POLL = 0.2
# Seconds without a word from a guest agent after its prepare was sent,
# and between two checks, before the prepare is taken for lost (if the
# agent answers a ping) and sent again.
PREPARE_RESEND_AFTER = 15


def server_spec(flow, volume_id=None):
    """The ServerSpec of the flow's instance, from its record."""
    record = flow.record
    return compute_base.ServerSpec(
        instance_id=record.id, name=record.name,
        flavor=flow.flavor(), datastore_manager=record.datastore_manager,
        image_id=record.image_id, image_tags=record.image_tags,
        guest_files=guest_files.build(
            record.id, record.datastore_manager,
            record.datastore_version_number, record.tenant_id,
            record.encrypted_key),
        volume_id=volume_id, availability_zone=record.availability_zone,
        nics=record.nics, server_group_id=record.server_group_id,
        locality=record.locality, access=record.access)


def render_config(flow):
    """The datastore config, rendered before any resource exists (and
    again when a build resumes): a missing or broken template fails the
    build at once with nothing to clean up."""
    try:
        return flow.render_config(flow.flavor())
    except (template.TemplateNotFound, template.TemplateError) as error:
        raise base.FlowFailed(Tasks.BUILDING_ERROR_SERVER,
                              str(error)) from error


class CreateServerGroup(base.Step):
    """A server group for the instance's ``locality``."""

    name = 'create_server_group'
    failure_task = Tasks.BUILDING_ERROR_SERVER
    failure = 'Could not create the server group for its locality: %s'

    def run(self, flow):
        record = flow.record
        if not record.locality or record.server_group_id:
            return
        group = flow.compute.create_server_group(
            flow.context, 'trove-%s' % record.id, record.locality)
        records.update(flow.context, record.id, server_group_id=group.id)
        record.server_group_id = group.id


class CreateVolume(base.Step):
    name = 'create_volume'
    failure_task = Tasks.BUILDING_ERROR_VOLUME

    def on_failure(self, flow, error):
        failure = super().on_failure(flow, error)
        failure.message = 'Could not create the %s GB data volume: %s' % (
            flow.record.volume_size, base.describe(error))
        return failure

    def run(self, flow):
        record = flow.record
        if not record.volume_size:
            return
        volume = None
        if record.volume_id:
            volume = flow.volumes.get_volume(flow.context, record.volume_id)
        else:
            found = flow.volumes.find_volumes(flow.context, record.id)
            if found:
                volume = found[0]
                LOG.info('Adopting volume %s of instance %s', volume.id,
                         record.id)
            else:
                volume = flow.volumes.create_volume(
                    flow.context, compute_base.VolumeSpec(
                        instance_id=record.id, size=record.volume_size,
                        volume_type=record.volume_type,
                        availability_zone=record.availability_zone,
                        name='trove-%s' % record.id))
            records.update(flow.context, record.id, volume_id=volume.id)
            record.volume_id = volume.id
        if volume.status == 'error':
            raise base.FlowFailed(Tasks.BUILDING_ERROR_VOLUME,
                                  'The data volume %s is in error.'
                                  % volume.id)


class CreateServer(base.Step):
    name = 'create_server'
    failure_task = Tasks.BUILDING_ERROR_SERVER
    failure = 'Could not create the server: %s'

    def run(self, flow):
        record = flow.record
        if record.compute_instance_id:
            server = flow.compute.get_server(flow.context,
                                             record.compute_instance_id)
        else:
            found = flow.compute.find_servers(flow.context, record.id)
            if found:
                server = found[0]
                LOG.info('Adopting server %s of instance %s', server.id,
                         record.id)
            else:
                server = flow.compute.create_server(
                    flow.context, server_spec(flow, record.volume_id))
            records.update(flow.context, record.id,
                           compute_instance_id=server.id,
                           server_status=server.status,
                           addresses=server.addresses)
            record.compute_instance_id = server.id
        if server.status == states.ServerStatus.ERROR:
            server_failed(flow, server)


class AttachVolume(base.Step):
    """Where the guest finds its volume, from the provider."""

    name = 'attach_volume'
    failure_task = Tasks.BUILDING_ERROR_VOLUME
    failure = 'Could not attach the data volume: %s'

    def run(self, flow):
        record = flow.record
        if not record.volume_id:
            return
        attachment = flow.volumes.attach_volume(
            flow.context, record.volume_id, record.compute_instance_id)
        flow.progress.update(device_path=attachment.device_path,
                             mount_point=attachment.mount_point)


class SendPrepare(base.Step):
    """Hand the guest what it needs to set its engine up."""

    name = 'send_prepare'
    failure_task = Tasks.BUILDING_ERROR_SERVER
    failure = 'Could not send the prepare request to the guest agent: %s'

    def run(self, flow):
        args = flow.work.args
        if args.get('has_secrets') and flow.secrets is None:
            # The passwords travelled only in the cast to the taskmanager
            # that died; they are never stored.
            raise base.FlowFailed(
                Tasks.BUILDING_ERROR_SERVER,
                'The build was interrupted before the passwords reached '
                'the guest agent (its taskmanager stopped, or the request '
                'never reached one); delete the instance and create it '
                'again.')
        secrets = flow.secrets or {}
        send_prepare(flow, databases=args.get('databases') or [],
                     users=secrets.get('users') or [],
                     backup_info=restore_info(flow, args.get('backup_id'),
                                              args.get('pitr')),
                     root_password=secrets.get('root_password'),
                     cluster_config=args.get('cluster_config'),
                     modules=instance_modules.payloads_for(
                         flow.context, flow.instance_id))


def send_prepare(flow, databases=(), users=(), backup_info=None,
                 root_password=None, cluster_config=None, modules=None,
                 snapshot=None):
    """Declare the guest's queue and cast it prepare with what the flow
    knows of the instance (flavor, attachment paths, configuration)."""
    record = flow.record
    manager = record.datastore_manager
    guest = flow.guest()
    # Kept (in memory only: it holds the passwords) so that WaitForGuest
    # can send the same prepare again if this one is lost.
    flow.prepare_args = dict(
        databases=databases, users=users, backup_info=backup_info,
        root_password=root_password, cluster_config=cluster_config,
        modules=modules, snapshot=snapshot)
    flow.prepare_sent = time.monotonic()
    # The queue must exist before the agent's first message.
    guest.declare_queue()
    guest.prepare(
        memory_mb=flow.flavor().get('ram'),
        packages=(record.packages or '').split(),
        databases=list(databases), users=list(users),
        device_path=flow.progress.get('device_path')
        or common.datastore_option(manager, 'device_path'),
        mount_point=flow.progress.get('mount_point')
        or common.datastore_option(manager, 'mount_point'),
        backup_info=backup_info, config_contents=flow.config_contents,
        root_password=root_password, overrides=overrides(flow),
        cluster_config=cluster_config, snapshot=snapshot, modules=modules,
        ds_version=record.datastore_version_number,
        ssl=instance_tls.prepare_ssl(flow.context, record))


def begin_build(flow):
    """Load a building instance (Cancelled if it is not building any
    more) and render its datastore config."""
    record = flow.load()
    if record.task is not Tasks.BUILDING:
        raise base.Cancelled('instance %s is %s, not building'
                             % (record.id, record.task.name))
    if flow.resumed:
        LOG.info('Resuming the build of instance %s after step %s',
                 record.id, flow.work.step or '(none)')
    flow.config_contents = render_config(flow)
    return record


def restore_info(flow, backup_id, pitr=None):
    info = _backup_info(flow, backup_id)
    if info is not None and pitr:
        # Point-in-time restore: the target and the archive run to replay.
        info = dict(info, pitr=pitr)
    return info


def _backup_info(flow, backup_id):
    if not backup_id:
        return None
    with db_api.reader(flow.context) as session:
        backup = session.get(db_models.Backup, backup_id)
        if backup is None or backup.deleted:
            raise base.FlowFailed(
                Tasks.BUILDING_ERROR_SERVER,
                'Backup %s to restore from no longer exists.' % backup_id)
        return backup_flows.restore_info(flow.context, backup)


def overrides(flow):
    record = flow.record
    if not record.configuration_id:
        return None
    _group, values = configuration_instances.overrides_for_instance(
        flow.context, record.configuration_id, record.tenant_id,
        record.datastore_version_id)
    return values


class WaitForGuest(base.Step):
    """Until the guest reports its datastore up, the guest or its server
    fails, or the deadline passes.

    The guest's report is one row of the control DB, read every
    STATUS_POLL seconds (in one statement for all the builds waiting in
    this process, ``guest_status_watch``): the instance is ACTIVE as soon
    as the guest says so. The server is asked only every ``usage_sleep_time`` seconds (on a
    real cloud each check is a call to Nova)."""

    name = 'wait_for_guest'

    def run(self, flow):
        restoring = getattr(flow, 'restoring', False) or bool(
            flow.work.args.get('backup_id'))
        timeout = common.build_timeout(flow.record.datastore_manager,
                                       restoring)
        LOG.info('Waiting up to %ds for instance %s to become active',
                 timeout, flow.instance_id)
        with guest_status_watch.watching(flow.instance_id):
            self._wait(flow, timeout)

    @staticmethod
    def _wait(flow, timeout):
        deadline = time.monotonic() + timeout
        next_server_check = time.monotonic()
        while True:
            status = guest_status_watch.status(flow.context,
                                               flow.instance_id, STATUS_POLL)
            if status in states.SERVICE_ACTIVE_STATUSES:
                return
            if (status is not None
                    and status not in states.SERVICE_PENDING_STATUSES):
                # A delete that superseded this build stops the guest
                # (SHUTDOWN): that is the build cancelled, not the
                # datastore failing to start.
                flow.check_cancelled(read_claim=True)
                guest_failed(flow, status)
            now = time.monotonic()
            if now >= next_server_check:
                next_server_check = now + CONF.usage_sleep_time
                flow.load()
                server = get_server(flow)
                if server.status == states.ServerStatus.ERROR:
                    server_failed(flow, server)
            if time.monotonic() >= deadline:
                flow.load()
                timed_out(flow, timeout, status, get_server(flow))
            if status in (None, states.ServiceStatuses.NEW):
                resend_lost_prepare(flow)
            flow.check_cancelled()
            time.sleep(min(STATUS_POLL,
                           max(deadline - time.monotonic(), 0.01)))


def resend_lost_prepare(flow):
    """The agent said nothing since prepare was sent: if it answers a
    ping it is up and consuming, so its prepare was lost (a broker
    restart drops the messages of its queues): send the same prepare
    again. The agent ignores a prepare while one runs or once prepared,
    so a prepare whose first report alone was lost does no harm.

    Only the flow that sent the prepare can (the passwords live in its
    memory); a build resumed by another taskmanager times out instead.
    """
    args = getattr(flow, 'prepare_args', None)
    sent = getattr(flow, 'prepare_sent', None)
    if args is None or sent is None:
        return
    now = time.monotonic()
    if now - sent < PREPARE_RESEND_AFTER:
        return
    if now - getattr(flow, 'prepare_checked', 0) < PREPARE_RESEND_AFTER:
        return
    flow.prepare_checked = now
    try:
        flow.guest().rpc_ping()
    except exception.TroveError as error:
        LOG.info('Guest agent of instance %s does not answer yet (%s)',
                 flow.instance_id, error)
        return
    if service_status.get(flow.context, flow.instance_id)[0] not in (
            None, states.ServiceStatuses.NEW):
        return      # it reported meanwhile
    LOG.warning('The guest agent of instance %s is up but has not begun '
                'the prepare sent %d seconds ago (lost with the broker?): '
                'sending it again', flow.instance_id, now - sent)
    send_prepare(flow, **args)


def get_server(flow):
    try:
        return flow.compute.get_server(flow.context, flow.server_id())
    except compute_base.ServerNotFound as error:
        raise base.FlowFailed(
            Tasks.BUILDING_ERROR_SERVER,
            'The server of the instance disappeared.') from error


def server_failed(flow, server):
    records.update(flow.context, flow.instance_id,
                   server_status=states.ServerStatus.ERROR)
    raise base.FlowFailed(Tasks.BUILDING_ERROR_SERVER,
                          server.fault or 'The server of the instance '
                                          'failed.')


def guest_failed(flow, status):
    """The guest reported failure; its heartbeat carried the fault (one
    message), so the fault is there already when it says so."""
    if records.fault_exists(flow.context, flow.instance_id):
        raise base.FlowFailed(Tasks.BUILDING_ERROR_SERVER, None)
    raise base.FlowFailed(
        Tasks.BUILDING_ERROR_SERVER,
        'The datastore failed to start, status: %s.' % status.description)


def timed_out(flow, timeout, status, server):
    if CONF.update_status_on_fail:
        service_status.set_status(
            flow.context, flow.instance_id,
            states.ServiceStatuses.FAILED_TIMEOUT_GUESTAGENT)
    message = ('The guest agent did not report the database ready '
               'within %d seconds.' % timeout)
    if records.fault_exists(flow.context, flow.instance_id):
        # The guest said what went wrong (its status report may have
        # been lost); that says more than the timeout.
        message = None
    raise base.FlowFailed(
        Tasks.BUILDING_ERROR_TIMEOUT_GA, message,
        'Last service status: %s; server status: %s.'
        % (status.description if status else 'none', server.status))


def finish(flow):
    """The instance is ACTIVE: task NONE with the server's status."""
    try:
        server_status = flow.compute.get_server(
            flow.context, flow.server_id()).status
    except (exception.TroveError, compute_base.ServerNotFound) as error:
        LOG.warning('Status of the server of %s is unknown: %s',
                    flow.instance_id, error)
        server_status = states.ServerStatus.ACTIVE
    flow.end_task(server_status=server_status)
    LOG.info('Instance %s is active (server %s)', flow.instance_id,
             server_status)
