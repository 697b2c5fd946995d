"""The guest agents' fork server (``python -m trove.cmd.guest_forkserver``).

The local provider starts one per taskmanager process and asks it for
each guest agent (trove.common.forkserver): the agent's common imports
are done once here, and every agent is a detached fork running
``trove-guestagent``'s main with its own ``--config-dir``. Each
datastore's own modules are still imported by the agent that uses them
(trove.common.datastore_registry), so an agent holds only its own.
"""

import sys

from trove.common import messaging_stack


def main():
    # As trove-guestagent does, before trove.conf is imported.
    messaging_stack.use_agent_stack()
    from trove.cmd import guest
    from trove.common import forkserver
    # What every agent imports before it knows its datastore.
    from trove.cmd import common, service_runner  # noqa: F401
    from trove.guestagent import service  # noqa: F401
    from trove.guestagent.datastore import manager  # noqa: F401
    forkserver.serve(guest.main, 'trove-guestagent')
    return 0


if __name__ == '__main__':
    sys.exit(main())
