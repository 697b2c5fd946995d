"""RPC endpoints of the taskmanager, as trove/taskmanager/api.py casts them.

Every cast names a resource whose work the API recorded in the claims
table (trove.records.work_claims). The endpoint hands it to the runner
and returns; the flow's thread claims the work and runs it. A cast
about work that is not due — an instance this deployment does not
know, work already done, or work another taskmanager holds — claims
nothing and does nothing. Any number of taskmanagers may serve the
same deployment.

``periodic_tasks`` are the checks the service runs between requests;
each runs on one taskmanager of the deployment per interval
(``work_claims.periodic_turn``).
"""

import oslo_messaging as messaging
from oslo_log import log as logging

from trove import compute
from trove.common import context as trove_context
from trove.common import service
from trove.conf import CONF
from trove.records import work_claims as claims
from trove.taskmanager import cluster_records
from trove.taskmanager import heartbeat_events
from trove.taskmanager import instance_records as records
from trove.taskmanager import pitr_retention
from trove.taskmanager import runner as work_runner
from trove.taskmanager import sweep
from trove.taskmanager import usage
from trove.taskmanager.failover import monitor as failover_monitor
from trove.taskmanager.flows import backup as backup_flows
from trove.taskmanager.flows import cluster as cluster_flows
from trove.taskmanager.flows import cluster_restart
from trove.taskmanager.flows import (configuration, create, delete, failover,
                                    periodic, rebuild, replication,
                                    replication_mode, resize, restart,
                                    upgrade)

LOG = logging.getLogger(__name__)

# The periodic checks run at least this often (seconds).
MAX_CHECK_INTERVAL = 10

# Flow name (the work's ``flow``) -> class running it.
FLOWS = {flow.name: flow for flow in (
    create.CreateFlow, delete.DeleteFlow, restart.RestartFlow,
    restart.RebootFlow, resize.ResizeVolumeFlow, resize.ResizeFlavorFlow,
    backup_flows.CreateBackupFlow, backup_flows.DeleteBackupFlow,
    replication.CreateReplicaFlow, replication.DetachFlow,
    replication.PromoteFlow, replication.EjectFlow, failover.FailoverFlow,
    rebuild.RebuildFlow, upgrade.UpgradeFlow,
    cluster_flows.CreateClusterFlow, cluster_flows.GrowClusterFlow,
    cluster_flows.ShrinkClusterFlow, cluster_flows.DeleteClusterFlow,
    cluster_restart.RestartClusterFlow, cluster_restart.UpgradeClusterFlow)}


class Manager:
    target = messaging.Target(version='1.6')

    def __init__(self, provider=None):
        self.provider = provider or compute.get_provider()
        self.runner = work_runner.WorkRunner()
        self.failover_monitor = failover_monitor.FailoverMonitor(
            self.provider, self._start_claimed, owner=self.runner.owner)
        self.extra_checks = []

    # Running claimed work ----------------------------------------------------
    def _claim_and_run(self, context, flow_name, resource_id, wait=0.0,
                       **kwargs):
        """In a thread of its own: claim the work, then run its flow."""
        def work():
            claimed = claims.claim(context, resource_id, flow_name,
                                   owner=self.runner.owner, wait=wait)
            if claimed is None:
                LOG.warning('No %s work is due on %s here: nothing to do '
                            '(unknown to this deployment, done, or held by '
                            'another taskmanager)', flow_name, resource_id)
                return
            self._run(context, claimed, **kwargs)
        self.runner.start(flow_name, resource_id, work, context=context)

    def _run(self, context, claimed, **kwargs):
        flow = FLOWS[claimed.flow](context, claimed, self.provider,
                                   self.runner, **kwargs)
        with self.runner.holding(claimed.resource_id, claimed.flow):
            flow.run()

    def _start_claimed(self, context, claimed):
        """Run work this process claimed itself (the failover monitor)."""
        def work():
            self._run(context, claimed)
        self.runner.start(claimed.flow, claimed.resource_id, work,
                          context=context)

    def resume(self, claimed, give_up=False):
        """Run work taken over by the sweep (already claimed)."""
        loader = {'instance': records.load,
                  'cluster': cluster_records.load}.get(claimed.resource_type)
        record = loader(trove_context.get_admin_context(),
                        claimed.resource_id) if loader else None
        context = sweep.resume_context(
            claimed, record.tenant_id if record is not None else None)
        flow_class = FLOWS.get(claimed.flow)
        if flow_class is None:
            LOG.error('Unknown flow %s of %s; dropping it', claimed.flow,
                      claimed.resource_id)
            claims.forget(context, claimed.resource_id)
            return

        def work():
            flow = flow_class(context, claimed, self.provider, self.runner)
            with self.runner.holding(claimed.resource_id, claimed.flow):
                if give_up:
                    flow.abandon(
                        'The %s was interrupted %d times (its taskmanager '
                        'stopped each time); it is not tried again.'
                        % (claimed.flow.replace('_', ' '),
                           claimed.attempts - 1))
                else:
                    flow.run()
        self.runner.start(claimed.flow, claimed.resource_id, work,
                          context=context)

    # Instances ---------------------------------------------------------------
    def create_instance(self, context, instance_id, users=None,
                        root_password=None, **legacy):
        """Build one instance (a list of ids builds each of them). Only
        the secrets travel in the cast; the rest is in the control DB."""
        ids = instance_id if isinstance(instance_id, list) else [instance_id]
        passwords = root_password if isinstance(root_password, list) \
            else [root_password] * len(ids)
        for one_id, password in zip(ids, passwords, strict=False):
            self._claim_and_run(context, 'create', one_id, secrets={
                'users': users or [], 'root_password': password})

    def delete_instance(self, context, instance_id):
        # A build still running lets go at its next step or poll.
        self._claim_and_run(context, 'delete', instance_id,
                            wait=CONF.work_claim_lease + 5)

    def restart(self, context, instance_id):
        self._claim_and_run(context, 'restart', instance_id)

    def reboot(self, context, instance_id):
        self._claim_and_run(context, 'reboot', instance_id)

    def rebuild(self, context, instance_id, image_id=None):
        self._claim_and_run(context, 'rebuild', instance_id)

    def upgrade(self, context, instance_id, datastore_version_id=None):
        self._claim_and_run(context, 'upgrade', instance_id)

    def resize_volume(self, context, instance_id, new_size=None):
        self._claim_and_run(context, 'resize_volume', instance_id)

    def resize_flavor(self, context, instance_id, old_flavor=None,
                      new_flavor=None):
        self._claim_and_run(context, 'resize_flavor', instance_id)

    # Replication ---------------------------------------------------------------
    def create_replica(self, context, instance_id):
        """Build replicas (an id, or a list of them), each from a snapshot
        of its source."""
        ids = instance_id if isinstance(instance_id, list) else [instance_id]
        for one_id in ids:
            self._claim_and_run(context, 'create_replica', one_id)

    def detach_replica(self, context, instance_id):
        self._claim_and_run(context, 'detach', instance_id)

    def promote_to_replica_source(self, context, instance_id):
        self._claim_and_run(context, 'promote', instance_id)

    def eject_replica_source(self, context, instance_id):
        self._claim_and_run(context, 'eject', instance_id)

    def set_replication_mode(self, context, instance_id):
        flow = replication_mode.SetModeFlow(context, instance_id)
        self.runner.start(flow.name, instance_id, flow.run, context=context)

    def update_configuration(self, context, instance_id, configuration_id):
        flow = configuration.ReapplyFlow(context, instance_id,
                                         configuration_id)
        self.runner.start(flow.name, instance_id, flow.run, context=context)

    # Clusters ----------------------------------------------------------------
    def create_cluster(self, context, cluster_id):
        """Form the cluster: its flow places the members (a server group
        for its locality), has each built (each its own ``create`` work)
        and joins them once they are built."""
        self._claim_and_run(
            context, 'create_cluster', cluster_id,
            build_members=lambda ids: self._build_members(context, ids))

    def _build_members(self, context, member_ids):
        for member_id in member_ids:
            work = claims.current(context, member_id)
            if work is not None and work.flow == 'create':
                # Members have no users or root password of their own.
                self._claim_and_run(context, 'create', member_id, secrets={
                    'users': [], 'root_password': None})

    def grow_cluster(self, context, cluster_id, new_instance_ids):
        self._claim_and_run(
            context, 'grow_cluster', cluster_id,
            build_members=lambda ids: self._build_members(context, ids))

    def shrink_cluster(self, context, cluster_id, instance_ids):
        # The API cast each removed member's delete itself.
        self._claim_and_run(context, 'shrink_cluster', cluster_id)

    def delete_cluster(self, context, cluster_id):
        # The API cast each member's delete itself.
        self._claim_and_run(context, 'delete_cluster', cluster_id,
                            wait=CONF.work_claim_lease + 5)

    def restart_cluster(self, context, cluster_id):
        self._claim_and_run(context, 'restart_cluster', cluster_id)

    def upgrade_cluster(self, context, cluster_id, datastore_version_id=None):
        self._claim_and_run(context, 'upgrade_cluster', cluster_id)

    # Backups -----------------------------------------------------------------
    def create_backup(self, context, backup_id=None, instance_id=None,
                      backup_info=None):
        backup_id = backup_id or (backup_info or {}).get('id')
        self._claim_and_run(context, 'create_backup', backup_id)

    def delete_backup(self, context, backup_id):
        self._claim_and_run(context, 'delete_backup', backup_id)

    # Periodic checks -----------------------------------------------------------
    def _once_per_deployment(self, name, interval, check):
        """Run ``check(context)`` if this taskmanager has the turn."""
        def run():
            context = trove_context.get_admin_context()
            if not claims.periodic_turn(context, name, interval,
                                        owner=self.runner.owner):
                return None
            LOG.info('Periodic check %s runs here', name)
            return check(context)
        return run

    def check_stuck_backups(self, context=None):
        return backup_flows.check_stuck_backups(
            context or trove_context.get_admin_context())

    def check_stuck_tasks(self, context=None):
        return periodic.check_stuck_tasks(
            context or trove_context.get_admin_context())

    def recover_crashed_clusters(self, context=None):
        context = context or trove_context.get_admin_context()
        return cluster_restart.recover_crashed_clusters(
            context, lambda cluster_id: self._claim_and_run(
                context, 'restart_cluster', cluster_id))

    def prune_pitr_archives(self, context=None):
        return pitr_retention.prune(
            context or trove_context.get_admin_context())

    def log_heartbeat_events(self, context=None):
        return heartbeat_events.check(
            context or trove_context.get_admin_context())

    def add_periodic_check(self, name, interval, check):
        """A further deployment-wide check (``check(context)``) this
        taskmanager takes turns at; the command adds those whose code
        lives above the taskmanager (the backup schedules)."""
        self.extra_checks.append((name, interval, check))

    def sweep_abandoned_work(self, context=None):
        return sweep.sweep(self, context or trove_context.get_admin_context())

    def watch_primaries(self, context=None):
        """One turn of the failover monitor (it leads itself by a lease:
        one taskmanager of the deployment probes)."""
        try:
            return self.failover_monitor.tick(context)
        except Exception:
            LOG.exception('The failover monitor failed this turn')
            return []

    def publish_exists_event(self, context=None):
        return usage.publish_exists(
            context or trove_context.get_admin_context(), self.provider)

    def periodic_tasks(self):
        """The checks the RPC service runs; none if report_interval is 0."""
        if not CONF.report_interval:
            return []
        interval = min(CONF.report_interval, MAX_CHECK_INTERVAL)
        checks = [('check_stuck_tasks', interval, self.check_stuck_tasks),
                  ('check_stuck_backups', interval, self.check_stuck_backups),
                  ('recover_crashed_clusters', interval,
                   self.recover_crashed_clusters),
                  ('sweep_abandoned_work', CONF.work_sweep_interval,
                   self.sweep_abandoned_work),
                  ('log_heartbeat_events',
                   CONF.instance_events_check_interval,
                   self.log_heartbeat_events),
                  ('prune_pitr_archives', CONF.pitr_prune_interval,
                   self.prune_pitr_archives)]
        if CONF.exists_notification_interval:
            checks.append(('publish_exists_event',
                           CONF.exists_notification_interval,
                           self.publish_exists_event))
        checks += self.extra_checks
        tasks = [service.PeriodicTask(
                     name, every, self._once_per_deployment(name, every, check),
                     initial_delay=every)
                 for name, every, check in checks]
        tasks.append(service.PeriodicTask(
            'failover_monitor', CONF.failover_probe_interval,
            self.watch_primaries, initial_delay=CONF.failover_probe_interval))
        return tasks

    def wait_idle(self, timeout):
        """Wait for the running flows (shutdown, tests)."""
        return self.runner.wait_idle(timeout)

    def stop(self):
        self.failover_monitor.stop()
        self.runner.stop()
