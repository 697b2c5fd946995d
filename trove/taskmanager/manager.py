"""RPC endpoints of the taskmanager, as trove/taskmanager/api.py casts them.

Each endpoint starts its flow (``trove/taskmanager/flows/``) in a thread
of its own and returns, so RPC threads are never held by long work; the
flows record every outcome in the control database. ``periodic_tasks``
are the checks the service runs between requests.

Backups: create_backup hands the backup to the guest, delete_backup
removes the objects (flows/backup.py); a periodic check fails backups
that can no longer end.
"""

import oslo_messaging as messaging
from oslo_log import log as logging

from trove.common import context as trove_context
from trove.common import service
from trove.compute import get_compute_driver, get_volume_driver
from trove.conf import CONF
from trove.taskmanager import work
from trove.taskmanager.flows import backup as backup_flows
from trove.taskmanager.flows import (common, configuration, create, delete,
                                    periodic, resize, restart)

LOG = logging.getLogger(__name__)

# The periodic checks run at least this often (seconds).
MAX_CHECK_INTERVAL = 10


class Manager:
    target = messaging.Target(version='1.1')

    def __init__(self, compute=None, volumes=None):
        self._drivers = common.Drivers(compute or get_compute_driver(),
                                       volumes or get_volume_driver())
        self._work = work.InstanceWork()

    # Instances ---------------------------------------------------------------
    def create_instance(self, context, instance_id, name, flavor, image_id,
                        databases, users, datastore_manager, packages,
                        volume_size, **kwargs):
        """Build one instance (a list of ids builds each of them)."""
        ids = instance_id if isinstance(instance_id, list) else [instance_id]
        names = name if isinstance(name, list) else [name] * len(ids)
        passwords = kwargs.pop('root_password', None)
        if not isinstance(passwords, list):
            passwords = [passwords] * len(ids)
        for one_id, one_name, password in zip(ids, names, passwords,
                                               strict=False):
            request = create.create_request(
                instance_id=one_id, name=one_name, flavor=flavor,
                image_id=image_id, databases=databases, users=users,
                datastore_manager=datastore_manager, packages=packages,
                volume_size=volume_size, root_password=password, **kwargs)
            flow = create.CreateFlow(context, request, self._drivers,
                                     self._work)
            self._work.start('create', one_id, flow.run)

    def delete_instance(self, context, instance_id):
        flow = delete.DeleteFlow(context, instance_id, self._drivers,
                                 self._work)
        self._work.start('delete', instance_id, flow.run)

    def restart(self, context, instance_id):
        flow = restart.RestartFlow(context, instance_id, self._drivers,
                                   self._work)
        self._work.start('restart', instance_id, flow.run)

    def reboot(self, context, instance_id):
        flow = restart.RebootFlow(context, instance_id, self._drivers,
                                  self._work)
        self._work.start('reboot', instance_id, flow.run)

    def resize_volume(self, context, new_size, instance_id):
        flow = resize.ResizeVolumeFlow(context, instance_id, new_size,
                                       self._drivers, self._work)
        self._work.start('resize_volume', instance_id, flow.run)

    def resize_flavor(self, context, instance_id, old_flavor, new_flavor):
        flow = resize.ResizeFlavorFlow(context, instance_id, old_flavor,
                                       new_flavor, self._drivers, self._work)
        self._work.start('resize_flavor', instance_id, flow.run)

    def update_configuration(self, context, instance_id, configuration_id):
        flow = configuration.ReapplyFlow(context, instance_id,
                                         configuration_id, self._drivers,
                                         self._work)
        self._work.start('update_configuration', instance_id, flow.run)

    # Backups -----------------------------------------------------------------
    def create_backup(self, context, backup_info, instance_id):
        flow = backup_flows.CreateBackupFlow(context, backup_info,
                                             instance_id)
        self._work.start('create_backup', instance_id, flow.run)

    def delete_backup(self, context, backup_id):
        flow = backup_flows.DeleteBackupFlow(context, backup_id)
        self._work.start('delete_backup', backup_id, flow.run)

    # Periodic checks -----------------------------------------------------------
    def check_stuck_backups(self):
        return backup_flows.check_stuck_backups(
            trove_context.get_admin_context())

    def check_stuck_tasks(self):
        return periodic.check_stuck_tasks(
            trove_context.get_admin_context(), self._work)

    def periodic_tasks(self):
        """The checks the RPC service runs; none if report_interval is 0."""
        if not CONF.report_interval:
            return []
        interval = min(CONF.report_interval, MAX_CHECK_INTERVAL)
        return [
            service.PeriodicTask('check_stuck_tasks', interval,
                                 self.check_stuck_tasks,
                                 initial_delay=interval),
            service.PeriodicTask('check_stuck_backups', interval,
                                 self.check_stuck_backups,
                                 initial_delay=interval),
        ]

    def wait_idle(self, timeout):
        """Wait for the running flows (shutdown, tests)."""
        return self._work.wait_idle(timeout)
