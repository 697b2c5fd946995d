"""Building a new instance: volume, server, guest prepare, wait for ready.

The API created the rows (task BUILDING, service status NEW) before
casting here. Every way this can end is terminal: task NONE with the
server ACTIVE, or an error task with a fault saying what went wrong —
the volume or server could not be made, the guest agent died, the
datastore failed to start, or the guest did not report ready in time.
If the instance is deleted meanwhile the flow stops quietly.
"""

import dataclasses
import time
import traceback

from oslo_log import log as logging

from trove.common import states, template
from trove.compute import base
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.instance import service_status
from trove.taskmanager import guest_files
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import backup as backup_flows
from trove.taskmanager.flows import common

LOG = logging.getLogger(__name__)

Tasks = states.InstanceTasks
BUILDING = Tasks.BUILDING
# How long a failed guest may take to deliver its own fault message (it
# casts the heartbeat and the fault separately).
GUEST_FAULT_WAIT = 5.0
# Seconds between reads of the guest's reported status while building.
STATUS_POLL = 0.2


@dataclasses.dataclass
class CreateRequest:
    """The arguments of the create_instance cast."""

    instance_id: str
    name: str
    flavor: dict
    image_id: str | None
    databases: list
    users: list
    datastore_manager: str
    packages: object = None
    volume_size: int | None = None
    backup_id: str | None = None
    availability_zone: str | None = None
    root_password: str | None = None
    nics: list | None = None
    overrides: dict | None = None
    slave_of_id: str | None = None
    cluster_config: dict | None = None
    volume_type: str | None = None
    modules: list | None = None
    locality: str | None = None
    access: dict | None = None
    ds_version: str | None = None

    @property
    def package_list(self):
        if not self.packages:
            return []
        if isinstance(self.packages, str):
            return self.packages.split()
        return list(self.packages)


class CreateFlow(common.Flow):

    def __init__(self, context, request, drivers, work):
        super().__init__(context, request.instance_id, drivers, work)
        self.request = request
        self.config_contents = None
        self.volume = None
        self.server = None

    def run(self):
        try:
            self.load()
            self.refuse_unsupported()
            self.prepare_config()
            with self.work.lock(self.instance_id):
                self.load()
                self.create_volume()
                self.create_server()
                self.send_prepare()
            self.wait_for_guest()
            self.finish()
        except common.InstanceGone:
            LOG.info('Instance %s was deleted while building; stopping',
                     self.instance_id)
        except common.FlowFailed as failure:
            LOG.warning('Building instance %s failed: %s', self.instance_id,
                        failure)
            self.fail(failure, only_if_task=BUILDING)
        except Exception as error:
            LOG.exception('Building instance %s failed', self.instance_id)
            self.fail(common.FlowFailed(
                Tasks.BUILDING_ERROR_SERVER,
                'Building the instance failed: %s' % common.describe(error),
                traceback.format_exc()), only_if_task=BUILDING)

    # Steps ---------------------------------------------------------------
    def refuse_unsupported(self):
        if self.request.slave_of_id:
            raise common.FlowFailed(
                Tasks.BUILDING_ERROR_REPLICA,
                'Replication is not supported by this deployment.')

    def prepare_config(self):
        """Render the datastore config before any resource exists: a
        missing or broken template fails the build at once and leaves
        nothing to clean up."""
        try:
            self.config_contents = self.render_config(
                self.request.flavor, manager=self.request.datastore_manager,
                version_number=self.request.ds_version)
        except (template.TemplateNotFound, template.TemplateError) as error:
            raise common.FlowFailed(Tasks.BUILDING_ERROR_SERVER,
                                    str(error)) from error

    def create_volume(self):
        size = self.request.volume_size
        if not size:
            return
        try:
            self.volume = self.volumes.create_volume(
                self.context, self.instance_id, size,
                volume_type=self.request.volume_type,
                availability_zone=self.request.availability_zone)
        except Exception as error:
            LOG.exception('Volume of %s failed', self.instance_id)
            raise common.FlowFailed(
                Tasks.BUILDING_ERROR_VOLUME,
                'Could not create the %d GB data volume: %s'
                % (size, common.describe(error)),
                traceback.format_exc()) from error
        records.update(self.context, self.instance_id,
                       volume_id=self.volume.id)
        if self.volume.status == 'error':
            raise common.FlowFailed(Tasks.BUILDING_ERROR_VOLUME,
                                    'The data volume %s is in error.'
                                    % self.volume.id)

    def create_server(self):
        request = self.request
        files = guest_files.build(self.instance_id, request.datastore_manager,
                                  request.ds_version, self.record.tenant_id)
        try:
            self.server = self.compute.create_server(
                self.context, self.instance_id, request.name,
                request.flavor, request.image_id, files,
                request.datastore_manager, volume=self.volume,
                availability_zone=request.availability_zone,
                nics=request.nics, access=request.access)
        except Exception as error:
            LOG.exception('Server of %s failed', self.instance_id)
            raise common.FlowFailed(
                Tasks.BUILDING_ERROR_SERVER,
                'Could not create the server: %s' % common.describe(error),
                traceback.format_exc()) from error
        records.update(self.context, self.instance_id,
                       compute_instance_id=self.server.id,
                       server_status=self.server.status,
                       addresses=self.server.addresses)
        self.record.compute_instance_id = self.server.id
        if self.server.status == states.ServerStatus.ERROR:
            self.server_failed(self.server)

    def send_prepare(self):
        request = self.request
        manager = request.datastore_manager
        guest = self.guest()
        try:
            # The queue must exist before the agent's first message.
            guest.declare_queue()
            guest.prepare(
                memory_mb=request.flavor.get('ram'),
                packages=request.package_list,
                databases=request.databases or [],
                users=request.users or [],
                device_path=common.datastore_option(manager, 'device_path'),
                mount_point=common.datastore_option(manager, 'mount_point'),
                backup_info=self.backup_info(),
                config_contents=self.config_contents,
                root_password=request.root_password,
                overrides=request.overrides,
                cluster_config=request.cluster_config, snapshot=None,
                modules=request.modules, ds_version=request.ds_version)
        except Exception as error:
            LOG.exception('Prepare of %s failed', self.instance_id)
            raise common.FlowFailed(
                Tasks.BUILDING_ERROR_SERVER,
                'Could not send the prepare request to the guest agent: %s'
                % common.describe(error), traceback.format_exc()) from error

    def backup_info(self):
        if not self.request.backup_id:
            return None
        with db_api.reader(self.context) as session:
            backup = session.get(db_models.Backup, self.request.backup_id)
            if backup is None:
                raise common.FlowFailed(
                    Tasks.BUILDING_ERROR_SERVER,
                    'Backup %s to restore from no longer exists.'
                    % self.request.backup_id)
            return backup_flows.restore_info(self.context, backup)

    def wait_for_guest(self):
        """Poll until the guest reports its datastore up, the guest or
        its server fails, or the deadline passes.

        The guest's report is one row of the control DB, read every
        STATUS_POLL seconds: the instance is ACTIVE as soon as the guest
        says so. The server is asked only every ``usage_sleep_time``
        seconds (on a real cloud each check is a call to Nova)."""
        timeout = common.build_timeout(self.request.datastore_manager,
                                       bool(self.request.backup_id))
        deadline = time.monotonic() + timeout
        LOG.info('Waiting up to %ds for instance %s to become active',
                 timeout, self.instance_id)
        next_server_check = time.monotonic()
        while True:
            status, _ = service_status.get(self.context, self.instance_id)
            if status in states.SERVICE_ACTIVE_STATUSES:
                return
            if (status is not None
                    and status not in states.SERVICE_PENDING_STATUSES):
                self.load()
                self.guest_failed(status)
            now = time.monotonic()
            if now >= next_server_check:
                next_server_check = now + CONF.usage_sleep_time
                self.check_server()
            if time.monotonic() >= deadline:
                self.load()
                self.timed_out(timeout, status, self.get_server())
            time.sleep(min(STATUS_POLL,
                           max(deadline - time.monotonic(), 0.01)))

    def get_server(self):
        try:
            return self.compute.get_server(self.context, self.server_id())
        except base.ServerNotFound as error:
            raise common.FlowFailed(
                Tasks.BUILDING_ERROR_SERVER,
                'The server of the instance disappeared.') from error

    def check_server(self):
        self.load()
        server = self.get_server()
        if server.status == states.ServerStatus.ERROR:
            self.server_failed(server)

    def finish(self):
        # Ask the server too: the datastore is up, so it should be ACTIVE,
        # and the provider learns that its server became ready.
        try:
            server_status = self.compute.get_server(
                self.context, self.server_id()).status
        except Exception as error:
            LOG.warning('Status of the server of %s is unknown: %s',
                        self.instance_id, error)
            server_status = states.ServerStatus.ACTIVE
        self.end_task(BUILDING, server_status=server_status)
        LOG.info('Instance %s is active (server %s)', self.instance_id,
                 server_status)

    # Failure paths ---------------------------------------------------------
    def server_failed(self, server):
        records.update(self.context, self.instance_id,
                       server_status=states.ServerStatus.ERROR)
        raise common.FlowFailed(
            Tasks.BUILDING_ERROR_SERVER,
            server.fault or 'The server of the instance failed.')

    def guest_failed(self, status):
        """The guest reported failure; it casts its own fault message
        separately, so give that a moment before writing a generic one."""
        deadline = time.monotonic() + GUEST_FAULT_WAIT
        while time.monotonic() < deadline:
            if records.fault_exists(self.context, self.instance_id):
                raise common.FlowFailed(Tasks.BUILDING_ERROR_SERVER, None)
            time.sleep(0.2)
        raise common.FlowFailed(
            Tasks.BUILDING_ERROR_SERVER,
            'The datastore failed to start, status: %s.'
            % status.description)

    def timed_out(self, timeout, status, server):
        if CONF.update_status_on_fail:
            service_status.set_status(
                self.context, self.instance_id,
                states.ServiceStatuses.FAILED_TIMEOUT_GUESTAGENT)
        message = ('The guest agent did not report the database ready '
                   'within %d seconds.' % timeout)
        if records.fault_exists(self.context, self.instance_id):
            # The guest said what went wrong (its status report may have
            # been lost); that says more than the timeout.
            message = None
        raise common.FlowFailed(
            Tasks.BUILDING_ERROR_TIMEOUT_GA, message,
            'Last service status: %s; server status: %s.'
            % (status.description if status else 'none', server.status))


def create_request(**kwargs):
    """A CreateRequest from the cast's arguments (extra ones ignored, so
    a newer API can add arguments without breaking this taskmanager)."""
    names = {field.name for field in dataclasses.fields(CreateRequest)}
    return CreateRequest(**{k: v for k, v in kwargs.items() if k in names})
