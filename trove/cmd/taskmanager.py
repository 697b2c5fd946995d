"""trove-taskmanager: provisions and operates instances and backups."""

from oslo_utils import importutils

from trove import compute
from trove.backup import drills
from trove.backup import schedule_runner
from trove.cmd import common
from trove.cmd import service_runner
from trove.common import service
from trove.conf import CONF


def main():
    common.setup(prog='trove-taskmanager')
    manager = importutils.import_object(CONF.taskmanager_manager)
    # The schedules take backups as the API does (trove.backup), which
    # the taskmanager package may not import; its process runs them.
    manager.add_periodic_check('run_backup_schedules',
                               CONF.backup_schedule_check_interval,
                               schedule_runner.run_due)
    manager.add_periodic_check('run_backup_drills',
                               CONF.backup_drill_check_interval, drills.run)
    # Before serving: the first build then finds it ready.
    compute.get_provider().compute.warm_up()
    rpc_service = service.RpcService(CONF.taskmanager_queue, CONF.host,
                                     [manager],
                                     periodic_tasks=manager.periodic_tasks())
    service_runner.run(rpc_service, 'trove-taskmanager')
    manager.stop()
