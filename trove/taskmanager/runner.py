"""The flows this taskmanager runs, each in a thread, and their leases.

RPC threads only hand work to the runner and return, so a long build
never holds them. The runner keeps the leases of the work it holds
alive (``work_claims.renew`` every third of ``work_claim_lease``, one
statement for all), and marks a flow cancelled when its work is no
longer this process's (superseded by a delete, or taken over), so the
flow stops at its next step or poll.
"""

import collections
import contextlib
import threading
import time

from oslo_log import log as logging

from trove.common import context as trove_context
from trove.conf import CONF
from trove.records import work_claims as claims

LOG = logging.getLogger(__name__)


class WorkRunner:

    def __init__(self, owner=None):
        self.owner = owner or claims.OWNER
        self._guard = threading.Lock()
        self._flows = {}                    # resource id -> flow name
        self._cancelled = set()
        self._running = collections.Counter()
        self._threads = set()
        self._stopping = threading.Event()
        self._renewer = None

    # Running -----------------------------------------------------------------
    def start(self, kind, resource_id, function, context=None):
        """Run ``function()`` in a new thread, tracked until it ends."""
        if context is None:
            # Log lines of the work carry the caller's request id.
            function = trove_context.bound_to_current(function)

        def run():
            # Log lines of the work carry the request's id.
            trove_context.store_current(context)
            try:
                function()
            except Exception:
                # Flows record their own failures; this is a last resort
                # so a bug never kills the thread silently.
                LOG.exception('%s of %s failed unexpectedly', kind,
                              resource_id)
            finally:
                trove_context.store_current(None)
                with self._guard:
                    self._running[resource_id] -= 1
                    if self._running[resource_id] <= 0:
                        del self._running[resource_id]
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, daemon=True,
                                  name='%s-%s' % (kind, resource_id))
        with self._guard:
            self._running[resource_id] += 1
            self._threads.add(thread)
        thread.start()
        return thread

    @contextlib.contextmanager
    def holding(self, resource_id, flow):
        """While the caller runs claimed work ``flow`` on a resource, its
        lease is renewed (and it is cancelled if the work stops being
        ours)."""
        with self._guard:
            self._flows[resource_id] = flow
            self._cancelled.discard(resource_id)
        self._ensure_renewer()
        try:
            yield
        finally:
            with self._guard:
                if self._flows.get(resource_id) == flow:
                    del self._flows[resource_id]
                self._cancelled.discard(resource_id)

    def is_running(self, resource_id):
        with self._guard:
            return self._running[resource_id] > 0

    def is_cancelled(self, resource_id):
        with self._guard:
            return resource_id in self._cancelled

    def held(self):
        with self._guard:
            return dict(self._flows)

    # Leases ------------------------------------------------------------------
    def _ensure_renewer(self):
        with self._guard:
            if self._renewer is not None or self._stopping.is_set():
                return
            self._renewer = threading.Thread(target=self._renew_loop,
                                             daemon=True,
                                             name='work-lease-renewer')
            self._renewer.start()

    def _renew_loop(self):
        interval = max(CONF.work_claim_lease / 3.0, 1.0)
        while not self._stopping.wait(interval):
            try:
                self.renew()
            except Exception:
                LOG.exception('Could not renew the work leases')

    def renew(self):
        """Renew the leases of the running flows; cancel those whose work
        is not ours any more."""
        held = self.held()
        if not held:
            return
        context = trove_context.get_admin_context()
        still = claims.renew(context, held, owner=self.owner)
        lost = [rid for rid, flow in held.items() if still.get(rid) != flow]
        if lost:
            LOG.info('Work on %s was superseded or taken over; cancelling',
                     ', '.join(lost))
            with self._guard:
                self._cancelled.update(lost)

    # Shutdown ----------------------------------------------------------------
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

    def stop(self):
        self._stopping.set()
