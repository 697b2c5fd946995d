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


def preload():
    """What every agent would otherwise do for itself: import what it
    needs before it knows its datastore, and ask the engines installed
    for their versions (``<server> --version``, about 20 ms of CPU each;
    kept per binary, so an upgraded one is asked again)."""
    # As trove-guestagent does, before trove.conf is imported.
    messaging_stack.use_agent_stack()
    from trove.cmd import common, service_runner  # noqa: F401
    from trove.common import engines
    from trove.guestagent import service  # noqa: F401
    from trove.guestagent.datastore import manager  # noqa: F401
    return engines.installed_engines()


def main():
    preload()
    from trove.cmd import guest
    from trove.common import forkserver
    forkserver.serve(guest.main, 'trove-guestagent')
    return 0


if __name__ == '__main__':
    sys.exit(main())
