"""RPC endpoints of a Galera cluster member (guest RPC 1.5).

The taskmanager's cluster flows drive them: ``install_cluster`` turns a
prepared, standalone engine into a member (the first one bootstraps the
cluster, the others join it and receive the data by state transfer);
``write_cluster_configuration`` follows a grow or shrink;
``get_cluster_position`` and ``start_cluster_member`` recover a cluster
every member of which stopped. The agent never decides on its own which
member bootstraps: only the taskmanager sees every member.
"""

import time

from oslo_log import log as logging

from trove.common.states import ServiceStatuses
from trove.guestagent.datastore import engine as engine_base
from trove.guestagent.datastore import galera

LOG = logging.getLogger(__name__)

# Seconds a member refuses new statements before it stops, so those
# already running finish instead of losing their connection.
DRAIN_SECONDS = 1.0


class GaleraEndpoints:

    serves_clusters = True

    # Status ------------------------------------------------------------------
    def actual_status(self):
        """A member that runs but lost the primary component says so."""
        status = super().actual_status()
        if (status is ServiceStatuses.RUNNING
                and galera.is_member(self.engine)):
            wsrep = galera.status(self.engine.admin())
            if wsrep and wsrep.get('wsrep_cluster_status') != 'Primary':
                return ServiceStatuses.NON_PRIMARY
        return status

    def _start_member(self, bootstrap):
        engine = self.engine
        engine.bootstrap_cluster = bool(bootstrap)
        try:
            self.overrides.start_engine()
        finally:
            engine.bootstrap_cluster = False
        self.status.mark_stopped(False)

    # Forming and changing the cluster ----------------------------------------
    def install_cluster(self, context, admin_password, cluster_configuration,
                        bootstrap=False):
        """Join (or, with ``bootstrap``, start) the cluster. Every member
        gets the same os_admin password first: a joiner's accounts are
        replaced by its donor's in the state transfer."""
        with self._lock:
            engine = self.engine
            LOG.info('Installing the cluster configuration (%s)',
                     'bootstrapping' if bootstrap else 'joining')
            try:
                if engine.is_alive():
                    engine.admin().create_admin_user(engine_base.ADMIN_USER,
                                                     admin_password)
                engine.store_admin_password(admin_password)
                galera.write_config(engine, cluster_configuration)
                self.status.report(ServiceStatuses.RESTARTING)
                engine.stop()
                self._start_member(bootstrap)
            finally:
                self.status.report(self.actual_status())

    def cluster_complete(self, context):
        LOG.info('The cluster is complete')
        self.status.report(self.actual_status())

    def get_cluster_context(self, context):
        """What a new member needs from an existing one."""
        return {'admin_password': self.engine.admin_password()}

    def write_cluster_configuration(self, context, cluster_configuration):
        """New member addresses, used from the next start (a running
        member learns the others from the cluster itself)."""
        with self._lock:
            galera.write_config(self.engine, cluster_configuration)

    # Recovery ------------------------------------------------------------------
    def get_cluster_position(self, context):
        """``{"alive", "primary", "synced", "seqno", "safe_to_bootstrap",
        "uuid"}`` of this member."""
        with self._lock:
            engine = self.engine
            if engine.is_alive():
                wsrep = galera.status(engine.admin())
                return {
                    'alive': True,
                    'primary': wsrep.get('wsrep_cluster_status') ==
                    'Primary',
                    'synced': galera.is_synced(wsrep),
                    'seqno': int(wsrep.get('wsrep_last_committed') or -1),
                    'safe_to_bootstrap': 0,
                    'uuid': wsrep.get('wsrep_cluster_state_uuid')}
            state = galera.position(engine)
            state.update(alive=False, primary=False, synced=False)
            return state

    def restart_cluster_member(self, context):
        """One step of a rolling restart: drain, stop, start, and return
        once Synced again (the next member may then stop)."""
        with self._lock:
            engine = self.engine
            self.status.report(ServiceStatuses.RESTARTING)
            try:
                if engine.is_alive():
                    try:
                        galera.reject_queries(engine.admin())
                        time.sleep(DRAIN_SECONDS)
                    except Exception as error:  # not answering: just stop
                        LOG.info('Could not drain before the restart: %s',
                                 error)
                    engine.stop()
                self._start_member(False)
            finally:
                self.status.report(self.actual_status())

    def stop_cluster_member(self, context):
        with self._lock:
            try:
                self.engine.stop()
            finally:
                self.status.report(self.actual_status())

    def start_cluster_member(self, context, bootstrap=False):
        """Start the engine; ``bootstrap`` makes this member the new
        primary component (its data was chosen as the most recent)."""
        with self._lock:
            try:
                if bootstrap:
                    galera.allow_bootstrap(self.engine)
                self.status.report(ServiceStatuses.RESTARTING)
                if not self.engine.is_alive():
                    self._start_member(bootstrap)
                else:
                    self.engine.wait_until_healthy()
            finally:
                self.status.report(self.actual_status())
