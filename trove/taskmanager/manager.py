"""RPC endpoints of the taskmanager (filled in by the lifecycle work)."""

import oslo_messaging as messaging
from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class Manager:
    target = messaging.Target(version='1.0')

    def periodic_tasks(self):
        return []
