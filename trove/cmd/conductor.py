"""trove-conductor: records what guest agents report."""

from oslo_utils import importutils

from trove.cmd import common
from trove.cmd import service_runner
from trove.common import service
from trove.conf import CONF


def main():
    common.setup(prog='trove-conductor')
    manager = importutils.import_object(CONF.conductor_manager)
    rpc_service = service.RpcService(CONF.conductor_queue, CONF.host,
                                     [manager],
                                     rpc_threads=CONF.conductor_rpc_threads,
                                     serializer=manager.serializer())
    service_runner.run(rpc_service, 'trove-conductor')
    manager.stop()
