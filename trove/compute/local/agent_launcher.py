"""Starting a local server's guest agent.

By default through a fork server (trove.common.forkserver running
trove.cmd.guest_forkserver), one per process that starts agents: an
agent then costs a fork instead of an interpreter start and its imports.
``[local] guest_agent_command`` (a wrapper, another agent) or
``[local] guest_agent_fork_server = False`` start it as a program of its
own, detached by trove.common.daemon; so does a fork server that fails.
Either way the agent is detached, with its pid in the instance's pid
file, and outlives whoever started it.
"""

import os
import shlex
import sys
import threading

from oslo_log import log as logging

from trove.common import daemon, forkserver
from trove.conf import CONF

LOG = logging.getLogger(__name__)

_server = None
_server_lock = threading.Lock()


def guest_command():
    """The command starting a guest agent, as a list."""
    if CONF.local.guest_agent_command:
        return shlex.split(CONF.local.guest_agent_command)
    return [os.path.join(os.path.dirname(sys.executable),
                         'trove-guestagent')]


def _fork_server():
    global _server
    with _server_lock:
        if _server is None:
            _server = forkserver.ForkServer(
                [sys.executable, '-m', 'trove.cmd.guest_forkserver'])
        return _server


def _use_fork_server():
    return (CONF.local.guest_agent_fork_server
            and not CONF.local.guest_agent_command)


def warm_up():
    """Start the fork server now, so that the first agent does not wait
    for its imports (about 0.3 s)."""
    if _use_fork_server():
        try:
            _fork_server().start()
        except forkserver.ForkServerError as error:
            LOG.warning('The guest agents\' fork server did not start: %s',
                        error)


def start(config_dir, pid_path, log_path):
    """Start the agent reading ``config_dir``; its pid."""
    argv = ['--config-dir', config_dir]
    if _use_fork_server():
        try:
            return _fork_server().spawn(argv, pid_path, log_path)
        except forkserver.ForkServerError as error:
            LOG.warning('The guest agents\' fork server failed (%s); '
                        'starting the agent as a program', error)
    return daemon.spawn(guest_command() + argv, pid_path=pid_path,
                        log_path=log_path)
