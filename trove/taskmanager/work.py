"""The flows this taskmanager is running, each in its own thread.

RPC threads only start a flow and return, so a long build never holds
them. Flows on one instance take its lock around the steps that create or
remove resources (a delete never races a build's server creation), and
the stuck-task check skips instances whose flow is still running here.
"""

import collections
import contextlib
import threading
import time

from oslo_log import log as logging

from trove.common import context as trove_context

LOG = logging.getLogger(__name__)


class InstanceWork:

    def __init__(self):
        self._guard = threading.Lock()
        self._locks = {}
        self._running = collections.Counter()
        self._threads = set()

    @contextlib.contextmanager
    def lock(self, instance_id):
        """Exclusive access to an instance's resources."""
        with self._guard:
            lock = self._locks.setdefault(instance_id, threading.Lock())
        with lock:
            yield

    def is_running(self, instance_id):
        with self._guard:
            return self._running[instance_id] > 0

    def start(self, kind, instance_id, function):
        """Run ``function()`` in a new thread, tracked until it ends; its
        log lines carry the request id of the caller's context."""
        function = trove_context.bound_to_current(function)

        def run():
            try:
                function()
            except Exception:
                # Flows record their own failures; this is a last resort
                # so a bug never kills the thread silently.
                LOG.exception('%s of instance %s failed unexpectedly',
                              kind, instance_id)
            finally:
                with self._guard:
                    self._running[instance_id] -= 1
                    if self._running[instance_id] <= 0:
                        del self._running[instance_id]
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, daemon=True,
                                  name='%s-%s' % (kind, instance_id))
        with self._guard:
            self._running[instance_id] += 1
            self._threads.add(thread)
        thread.start()
        return thread

    def wait_idle(self, timeout):
        """Wait until no flow runs; returns whether that happened."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._guard:
                threads = list(self._threads)
            if not threads:
                return True
            threads[0].join(max(deadline - time.monotonic(), 0))
        with self._guard:
            return not self._threads
