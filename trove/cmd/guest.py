"""trove-guestagent: the agent managing one instance's engine.

Run as ``trove-guestagent --config-dir <dir>``: every *.conf there is
read (guest_info.conf says who the instance is, trove-guestagent.conf
how to reach the conductor).
"""

from oslo_log import log as logging

from trove.cmd import common
from trove.cmd import service_runner
from trove.guestagent import service

LOG = logging.getLogger(__name__)


def main(argv=None):
    common.setup(argv, prog='trove-guestagent')
    try:
        manager = service.load_manager()
    except service.ConfigurationError as error:
        LOG.error('%s', error)
        # A string exit status is printed on stderr, exit code 1.
        return 'trove-guestagent: %s' % error
    service_runner.run(service.GuestService(manager), 'trove-guestagent')
    return 0
