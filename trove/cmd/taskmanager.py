"""trove-taskmanager: provisions and operates instances and backups."""

from oslo_utils import importutils

from trove.cmd import common
from trove.cmd import service_runner
from trove.common import service
from trove.conf import CONF


def main():
    common.setup(prog='trove-taskmanager')
    manager = importutils.import_object(CONF.taskmanager_manager)
    rpc_service = service.RpcService(CONF.taskmanager_queue, CONF.host,
                                     [manager],
                                     periodic_tasks=manager.periodic_tasks())
    service_runner.run(rpc_service, 'trove-taskmanager')
    manager.stop()
