"""The guest agent's replication endpoints (guest RPC 1.4; 1.6:
set_replication_mode).

Method names are upstream's where the meaning is the same. The work is
the datastore's replication strategy's (trove.guestagent.replication);
these endpoints add the agent's own bookkeeping: the lock every engine
change holds, the "stopped on request" marker (a fenced engine a
restarted agent must not start again), and statuses reported as they go.
"""

from oslo_log import log as logging

from trove.common.states import ServiceStatuses
from trove.guestagent import replication

LOG = logging.getLogger(__name__)


class ReplicationEndpoints:
    """Mixed into a datastore Manager (``self.engine``, ``self._lock``,
    ``self.status``)."""

    @property
    def replication(self):
        return replication.for_manager(self.manager_name, self.engine)

    # On the source -----------------------------------------------------------
    def get_replica_context(self, context, replica_id):
        """What a new (or re-pointed) replica connects with: this
        instance's address and an account (and slot) of its own."""
        account = self.replication.add_replica_account(replica_id)
        return dict(account, host=self.engine.bind_host,
                    port=self.engine.port)

    def cleanup_source_on_replica_detach(self, context, replica_id):
        self.replication.remove_replica_account(replica_id)

    def make_read_only(self, context, read_only=True):
        """Fence (or unfence) this instance: no client write, sessions
        ended; an engine the strategy stops stays stopped, even across
        an agent restart, until it is told to follow a new source."""
        with self._lock:
            strategy = self.replication
            if read_only:
                strategy.fence()
                if not self.engine.is_alive():
                    self.status.mark_stopped(True)
            else:
                strategy.unfence()
                self.status.mark_stopped(False)
            self.status.report(self.actual_status())

    # On the replica ---------------------------------------------------------
    def attach_replica(self, context, replica_info):
        """Replicate from the source ``replica_info`` names. Returns what
        this instance lost by it (a former primary rewound onto its new
        source: the transactions the source lacks, as
        ``replication.divergence`` says them), or None; a caller of
        before that ignores the answer."""
        with self._lock:
            try:
                lost = self.replication.follow(replica_info)
                self.status.mark_stopped(False)
            finally:
                self.status.report(self.actual_status())
        return lost or None

    def detach_replica(self, context, for_failover=False):
        """Stop replicating and take writes."""
        with self._lock:
            self.status.report(ServiceStatuses.PROMOTING)
            try:
                self.replication.promote()
            finally:
                self.status.report(self.actual_status())

    def set_replication_mode(self, context, mode):
        """'sync' or 'async' (guest RPC 1.6), on every member of a set."""
        with self._lock:
            self.replication.set_mode(mode)

    # Positions ---------------------------------------------------------------
    def get_last_txn(self, context):
        return self.replication.current_position()

    def wait_for_txn(self, context, txn, seconds=60):
        return self.replication.wait_for(txn, seconds)

    def get_replication_status(self, context):
        return self.replication.status()

    # Prepare of a replica -----------------------------------------------------
    def prepare_replica(self, context, snapshot):
        """Within prepare: the data from the source's snapshot, the engine
        replicating from the source."""
        LOG.info('Building a replica of %s:%s', snapshot['source']['host'],
                 snapshot['source']['port'])
        self.replication.restore_as_replica(self, context, snapshot)
