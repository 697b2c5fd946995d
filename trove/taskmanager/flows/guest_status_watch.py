"""The guests' statuses read once for every build waiting in a process.

A build waits for its guest by reading the guest's service status row
every STATUS_POLL seconds (``build_steps.WaitForGuest``). With many
builds at once, one read per build per poll was most of a taskmanager's
CPU while they waited; here the first waiting build whose answer is
older than the poll interval reads the rows of every waiting build in
one statement, and the others take their answers from it.
"""

import collections
import contextlib
import threading
import time

from trove.records import service_status

_lock = threading.Lock()
_waiting = collections.Counter()     # instance id -> builds waiting on it
_latest = {}                         # instance id -> (status, read at)


@contextlib.contextmanager
def watching(instance_id):
    with _lock:
        _waiting[instance_id] += 1
    try:
        yield
    finally:
        with _lock:
            _waiting[instance_id] -= 1
            if not _waiting[instance_id]:
                del _waiting[instance_id]
                _latest.pop(instance_id, None)


def status(context, instance_id, fresh_within):
    """The guest's status read at most ``fresh_within`` seconds ago (None
    when it has no row)."""
    with _lock:
        known = _latest.get(instance_id)
        if known is not None and time.monotonic() - known[1] < fresh_within:
            return known[0]
        wanted = set(_waiting) | {instance_id}
        read_at = time.monotonic()
        statuses = service_status.get_many(context, wanted)
        for waited in _waiting:
            _latest[waited] = (statuses.get(waited), read_at)
        return statuses.get(instance_id)
