"""Failures of the guest agent that end up in front of a user.

``message`` is one line a user can act on (it becomes the instance fault
or the GuestError text); ``details`` holds what an operator needs to
investigate (command output, engine log tail).
"""

import os

from trove.common import failures


class GuestAgentError(failures.ReportedFailure):
    """A failure of the guest agent (see failures.ReportedFailure)."""


class EngineError(GuestAgentError):
    """The database engine could not be set up, started or stopped."""


class CommandError(GuestAgentError):
    """A command failed or ran past its deadline."""

    def __init__(self, args, reason, output=''):
        self.command = [str(a) for a in args]
        self.reason = reason
        self.output = output or ''
        super().__init__('%s %s' % (os.path.basename(self.command[0]),
                                    reason), self.output)


class NotSupported(GuestAgentError):
    """A request this guest agent cannot serve (yet)."""
