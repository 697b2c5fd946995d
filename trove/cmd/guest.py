"""trove-guestagent: the agent managing one instance's engine.

Run as ``trove-guestagent --config-dir <dir>``: every *.conf there is
read (guest_info.conf says who the instance is, trove-guestagent.conf
how to reach the conductor).

The agent talks RPC through trove.common.amqp_rpc, not oslo.messaging
(trove.common.messaging_stack): that is chosen before trove.conf is
imported, which is why the imports are in ``main``.
"""

from trove.common import messaging_stack


def main(argv=None):
    messaging_stack.use_agent_stack()
    from oslo_log import log as logging

    from trove.cmd import common
    from trove.cmd import service_runner
    from trove.guestagent import service

    common.setup(argv, prog='trove-guestagent')
    try:
        manager = service.load_manager()
    except service.ConfigurationError as error:
        logging.getLogger(__name__).error('%s', error)
        # A string exit status is printed on stderr, exit code 1.
        return 'trove-guestagent: %s' % error
    service_runner.run(service.GuestService(manager), 'trove-guestagent')
    return 0
