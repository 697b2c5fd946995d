"""Failures whose message is for the user, wherever they are raised.

A ``ReportedFailure`` carries one line a user can act on (``message``: it
becomes an instance fault or a failed backup's description) and what an
operator needs to investigate (``details``: command output, a log tail).
The guest agent's errors and the backup storage drivers' both are; this
module depends on nothing so either side of the RPC boundary can use it.
"""


class ReportedFailure(Exception):

    def __init__(self, message, details=''):
        super().__init__(message)
        self.message = message
        self.details = details or ''
