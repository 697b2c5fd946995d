"""Running an RPC service until SIGTERM/SIGINT."""

import signal
import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


def run(service, name):
    stop_requested = threading.Event()

    def _on_signal(signum, frame):
        LOG.info('%s received signal %d, stopping', name, signum)
        stop_requested.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    service.start()
    LOG.info('%s started', name)
    while not stop_requested.wait(1):
        pass
    service.stop()
    LOG.info('%s stopped', name)
