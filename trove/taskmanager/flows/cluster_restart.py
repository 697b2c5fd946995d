"""Restarting a cluster: rolling while it has a primary component, a
recovery when it has none.

Rolling: one member at a time is restarted and must be Synced again
before the next one stops, so the others keep a quorum and take writes
throughout. A member found down (killed) is started and rejoins.

Recovery (no member in a primary component: every member stopped or
killed, or the survivors lost quorum): the members still running are
stopped cleanly, each member says where its data stands, and the one
with ``safe_to_bootstrap`` (it stopped last) or else the highest
committed seqno bootstraps a new primary component; the others join it
(by IST or SST). Upstream never handled this. An upgrade is a rolling
restart onto the new datastore version.
"""

import datetime

from oslo_log import log as logging

from trove.common import exception, states
from trove.conf import CONF
from trove.configuration import instances as configuration_instances
from trove.db import models as db_models
from trove.records import faults
from trove.records import service_status
from trove.records import work_claims as claims
from trove.taskmanager import cluster_records
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import base
from trove.taskmanager.flows import cluster as cluster_flows

LOG = logging.getLogger(__name__)

Tasks = states.ClusterTasks


def positions(flow, members):
    """{member id: position} (an unreachable guest: not alive)."""
    found = {}
    for member in members:
        try:
            found[member.id] = flow.guest(member.id).get_cluster_position()
        except exception.TroveError as error:
            LOG.warning('Member %s gave no position: %s', member.id, error)
            found[member.id] = {'alive': False, 'primary': False,
                                'seqno': -1, 'safe_to_bootstrap': 0,
                                'unreachable': True}
    return found


def choose_bootstrap(found):
    """The member whose data is the most recent."""
    candidates = [(position.get('safe_to_bootstrap', 0),
                   position.get('seqno', -1), member_id)
                  for member_id, position in found.items()
                  if not position.get('unreachable')]
    if not candidates:
        raise base.FlowFailed(None, 'No member can say where its data '
                                    'stands; no member can bootstrap.')
    return max(candidates)[2]


class RestartMembers(base.Step):
    name = 'restart_members'
    failure = 'Could not restart the cluster: %s'

    def run(self, flow):
        members = flow.members()
        found = positions(flow, members)
        if any(p.get('alive') and p.get('primary') for p in found.values()):
            self.rolling(flow, members, found)
        else:
            self.recover(flow, members, found)

    @staticmethod
    def rolling(flow, members, found):
        done = list(flow.progress.get('restarted', []))
        # The members in trouble first: they hold no quorum anyway.
        order = sorted(members, key=lambda m: bool(
            found[m.id].get('synced')))
        for member in order:
            if member.id in done:
                continue
            guest = flow.guest(member.id)
            # A configuration group's values needing a restart take
            # effect now, as with an instance restart.
            configuration_instances.apply_before_restart(flow.context,
                                                         member.id)
            if found[member.id].get('alive'):
                LOG.info('Cluster %s: restarting member %s',
                         flow.cluster_id, member.id)
                guest.restart_cluster_member()
            else:
                LOG.info('Cluster %s: starting member %s (it was down)',
                         flow.cluster_id, member.id)
                guest.start_cluster_member(bootstrap=False)
            restarted(flow, member.id)
            done.append(member.id)
            flow.save_progress(restarted=done)
            flow.check_cancelled()

    @staticmethod
    def recover(flow, members, found):
        LOG.warning('Cluster %s has no primary component: recovering it',
                    flow.cluster_id)
        for member in members:
            if found[member.id].get('alive'):
                flow.guest(member.id).stop_cluster_member()
        found = positions(flow, members)
        first = choose_bootstrap(found)
        LOG.info('Cluster %s: member %s bootstraps (position %s)',
                 flow.cluster_id, first, found[first])
        flow.guest(first).start_cluster_member(bootstrap=True)
        restarted(flow, first)
        for member in members:
            if member.id != first:
                flow.guest(member.id).start_cluster_member(bootstrap=False)
                restarted(flow, member.id)


def restarted(flow, member_id):
    """A pending RESTART_REQUIRED of the member is over."""
    configuration_instances.record_restarted(flow.context, member_id)
    records.update(flow.context, member_id, task=states.InstanceTasks.NONE,
                   only_if_task=states.InstanceTasks.RESTART_REQUIRED)


class RestartClusterFlow(cluster_flows.ClusterFlow):
    name = 'restart_cluster'
    task = Tasks.RESTARTING_CLUSTER
    steps = (RestartMembers(),)

    def on_failed(self, failure):
        # The members keep their tasks; the fault says what went wrong.
        for member in self.members():
            records_fault(self, member.id, failure)
        cluster_records.set_task(self.context, self.cluster_id, Tasks.NONE,
                                 only_if_task=self.task)


def records_fault(flow, member_id, failure):
    faults.save_fault(flow.context, member_id,
                      'The cluster %s failed: %s' % (
                          flow.name.replace('_', ' '),
                          failure.message or failure), failure.details)


class UpgradeClusterFlow(RestartClusterFlow):
    name = 'upgrade_cluster'
    task = Tasks.UPGRADING_CLUSTER

    def succeeded(self):
        cluster_records.set_version(
            self.context, self.cluster_id,
            self.work.args['datastore_version_id'])
        super().succeeded()


# The periodic check ----------------------------------------------------------
def every_member_crashed(context, members):
    """Each member idle, and its live guest agent (a fresh heartbeat)
    reporting its engine dead without being asked to stop: no member
    holds a primary component, so bootstrapping one cannot split the
    cluster."""
    if not members:
        return False
    fresh_after = db_models.utcnow() - datetime.timedelta(
        seconds=CONF.agent_heartbeat_expiry)
    for member in members:
        status, updated = service_status.get(context, member.id)
        if (member.task is not states.InstanceTasks.NONE
                or status is not states.ServiceStatuses.CRASHED
                or updated is None or updated < fresh_after):
            return False
    return True


def recover_crashed_clusters(context, start_flow):
    """Submit the recovery (a ``restart_cluster``) of every idle cluster
    all of whose members crashed; ``start_flow(cluster_id)`` runs it.
    Returns the ids of the clusters recovered."""
    recovered = []
    for cluster_id in cluster_records.idle_ids(context):
        members = cluster_records.members(context, cluster_id)
        if not members or not cluster_flows.cluster_option(
                members[0].datastore_manager, 'cluster_auto_recovery',
                False):
            continue
        if not every_member_crashed(context, members):
            continue
        if not cluster_records.set_task(context, cluster_id,
                                        Tasks.RESTARTING_CLUSTER,
                                        only_if_task=Tasks.NONE):
            continue
        claims.submit_now(context, cluster_id, 'cluster', 'restart_cluster')
        LOG.warning('Every member of cluster %s crashed: recovering it',
                    cluster_id)
        start_flow(cluster_id)
        recovered.append(cluster_id)
    return recovered
