"""Cluster flows: form a Galera cluster, grow it, shrink it, delete it.

A cluster's members are instances built and deleted by the instance
flows (their own claimed work); a cluster flow is claimed work on the
cluster that waits for those and then joins the members into one
cluster through their guests (guest RPC 1.5):

* create: every member built (ACTIVE, standalone) -> the first member
  bootstraps, the others join one at a time (each receives the data by
  state transfer and is Synced before the next) -> ``cluster_complete``.
* grow: the new members built -> each joins with the os_admin password
  of an existing member -> every member's configuration lists them all.
* shrink: the removed members deleted -> the others' configurations
  list the rest.
* delete: every member deleted -> the cluster row soft-deleted.

Every flow ends with the cluster's task NONE (upstream's rule: the
cluster stays usable) and, on failure, the error task and a fault on the
members that could not be built or joined, so the reason is visible.
"""

import time

from oslo_log import log as logging

from trove.common import states, utils
from trove.compute import base as compute_base
from trove.conf import CONF
from trove.guestagent import api as guest_api
from trove.records import service_status
from trove.taskmanager import cluster_records
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import base

LOG = logging.getLogger(__name__)

Tasks = states.ClusterTasks
InstanceTasks = states.InstanceTasks
POLL = 0.5


def cluster_option(manager, name, default):
    try:
        return getattr(CONF.get(manager), name)
    except Exception:   # no such option for this datastore
        return default


def address_of(member):
    addresses = member.addresses or []
    if not addresses:
        raise base.FlowFailed(None, 'Member %s has no address.' % member.id)
    return addresses[0]['address']


def short_name(resource_id):
    """Galera refuses names longer than 32 characters in its group
    messages (a joiner then never reaches the group): 20 hex digits of
    the id are unique enough within one deployment."""
    return resource_id.replace('-', '')[:20]


def configuration(cluster, members, member):
    """The galera settings of ``member`` in a cluster of ``members``."""
    return {'cluster_name': 'trove-%s' % short_name(cluster.id),
            'members': [address_of(m) for m in members],
            'node_address': address_of(member),
            'node_name': short_name(member.id)}


class ClusterFlow(base.Flow):
    """Claimed work on a cluster, in the cluster's task while it runs."""

    resource_type = 'cluster'
    task = None
    member_failure_task = InstanceTasks.BUILDING_ERROR_SERVER

    def __init__(self, context, work, provider, runner=None,
                 build_members=None):
        super().__init__(context, work, provider, runner)
        self.cluster = None
        # Starts the members' own create flows; None when the sweep
        # resumed this flow (the sweep resumes the members' too).
        self.build_members = build_members

    @property
    def cluster_id(self):
        return self.resource_id

    def before(self):
        self.load()

    def load(self):
        cluster = cluster_records.load(self.context, self.cluster_id)
        if cluster is None or cluster.deleted:
            raise base.Cancelled('cluster %s was deleted' % self.cluster_id)
        if self.task is not None and cluster.task is not self.task:
            raise base.Cancelled('cluster %s is %s, not %s' % (
                cluster.id, cluster.task.name, self.task.name))
        self.cluster = cluster
        return cluster

    def members(self):
        return cluster_records.members(self.context, self.cluster_id)

    def guest(self, member_id):
        return guest_api.API(self.context, member_id)

    @property
    def manager(self):
        found = self.members()
        return found[0].datastore_manager if found else 'mariadb'

    def timeout(self):
        return cluster_option(self.manager, 'cluster_usage_timeout',
                              CONF.usage_timeout)

    # End states ------------------------------------------------------------
    def succeeded(self):
        cluster_records.set_task(self.context, self.cluster_id, Tasks.NONE,
                                 only_if_task=self.task)
        LOG.info('%s of cluster %s done', self.name, self.cluster_id)

    def failed_members(self):
        """The members a failure is recorded on."""
        return [member.id for member in self.members()]

    def on_failed(self, failure):
        message = failure.message or str(failure)
        for member_id in self.failed_members():
            records.fail(self.context, member_id,
                         failure.task or self.member_failure_task,
                         'The cluster %s failed: %s' % (
                             self.name.replace('_', ' '), message),
                         failure.details)
        cluster_records.set_task(self.context, self.cluster_id, Tasks.NONE,
                                 only_if_task=self.task)


# Steps ----------------------------------------------------------------------
class PlaceMembers(base.Step):
    """One server group for the cluster's locality, shared by every
    member (upstream's rule: the policy is about the members together),
    recorded on each member before it is built."""

    name = 'place_members'
    failure = 'Could not create the server group for its locality: %s'

    def run(self, flow):
        awaited = flow.awaited()
        locality = flow.cluster.locality
        if locality:
            group_id = flow.progress.get('server_group_id') or \
                next((m.server_group_id for m in flow.members()
                      if m.server_group_id), None)
            if not group_id:
                group_id = flow.provider.compute.create_server_group(
                    flow.context, 'trove-cluster-%s' % flow.cluster_id,
                    locality).id
                flow.save_progress(server_group_id=group_id)
            for member_id in awaited:
                records.update(flow.context, member_id,
                               server_group_id=group_id)
        if flow.build_members is not None:
            flow.build_members(awaited)


class WaitForMembers(base.Step):
    """Until the members in ``flow.awaited()`` are built (task NONE,
    engine up); a member that failed to build fails the cluster."""

    name = 'wait_for_members'

    def run(self, flow):
        awaited = flow.awaited()
        deadline = time.monotonic() + flow.timeout()
        while True:
            pending = []
            for member_id in awaited:
                record = records.load(flow.context, member_id)
                if record is None or record.gone:
                    raise base.FlowFailed(
                        None, 'Member %s was deleted while the cluster '
                              'was being built.' % member_id)
                if record.task.is_error:
                    raise base.FlowFailed(
                        record.task, 'Member %s (%s) failed to build.'
                        % (record.name, member_id))
                status, _ = service_status.get(flow.context, member_id)
                if (record.task is not InstanceTasks.NONE
                        or status not in states.SERVICE_ACTIVE_STATUSES):
                    pending.append(member_id)
            if not pending:
                return
            if time.monotonic() >= deadline:
                raise base.FlowFailed(
                    InstanceTasks.BUILDING_ERROR_TIMEOUT_GA,
                    'Members %s were not built within %d seconds.'
                    % (', '.join(pending), flow.timeout()))
            flow.check_cancelled()
            time.sleep(POLL)


class FormCluster(base.Step):
    """The first member bootstraps; the others join one at a time."""

    name = 'form_cluster'
    failure = 'Could not form the cluster: %s'

    def run(self, flow):
        members = flow.members()
        joined = list(flow.progress.get('joined', []))
        password = None
        if joined:
            # Resumed: the password is the one the joined members have.
            password = flow.guest(joined[0]).get_cluster_context()[
                'admin_password']
        else:
            password = utils.generate_password(
                cluster_option(members[0].datastore_manager,
                               'default_password_length', 36))
        for member in members:
            if member.id in joined:
                continue
            LOG.info('Cluster %s: member %s %s', flow.cluster_id, member.id,
                     'joins' if joined else 'bootstraps')
            flow.guest(member.id).install_cluster(
                password, configuration(flow.cluster, members, member),
                bootstrap=not joined)
            joined.append(member.id)
            flow.save_progress(joined=joined)
            flow.check_cancelled()


class Complete(base.Step):
    name = 'cluster_complete'

    def run(self, flow):
        for member in flow.members():
            flow.guest(member.id).cluster_complete()


class JoinNewMembers(base.Step):
    """New members join with an existing member's os_admin password; then
    every member's configuration names them all."""

    name = 'join_new_members'
    failure = 'Could not add the new members: %s'

    def run(self, flow):
        members = flow.members()
        new_ids = flow.awaited()
        existing = [m for m in members if m.id not in new_ids]
        if not existing:
            raise base.FlowFailed(None, 'No existing member to join.')
        password = None
        for member in existing:
            try:
                password = flow.guest(member.id).get_cluster_context()[
                    'admin_password']
                break
            except Exception as error:
                LOG.info('Member %s gave no cluster context: %s',
                         member.id, error)
        if not password:
            raise base.FlowFailed(None, 'No existing member answered.')
        joined = list(flow.progress.get('joined', []))
        for member in members:
            if member.id in new_ids and member.id not in joined:
                flow.guest(member.id).install_cluster(
                    password, configuration(flow.cluster, members, member),
                    bootstrap=False)
                joined.append(member.id)
                flow.save_progress(joined=joined)
        rewrite_configurations(flow, members, skip=new_ids)
        for member_id in new_ids:
            flow.guest(member_id).cluster_complete()


def rewrite_configurations(flow, members, skip=()):
    for member in members:
        if member.id in skip:
            continue
        flow.guest(member.id).write_cluster_configuration(
            configuration(flow.cluster, members, member))


class WaitForRemoved(base.Step):
    """Until the removed members' deletes finished."""

    name = 'wait_for_removed'

    def run(self, flow):
        removed = flow.work.args.get('removed_ids') or []

        def gone():
            return all(record is None or record.deleted for record in (
                records.load(flow.context, member_id)
                for member_id in removed))
        flow.wait_until(gone, CONF.server_delete_time_out + 60, POLL,
                        lambda: None)


class UpdateRemaining(base.Step):
    name = 'update_remaining'
    failure = 'Could not update the remaining members: %s'

    def run(self, flow):
        rewrite_configurations(flow, flow.members())


class WaitForDeleted(base.Step):
    name = 'wait_for_deleted'

    def run(self, flow):
        flow.wait_until(
            lambda: not cluster_records.member_ids(flow.context,
                                                   flow.cluster_id),
            CONF.server_delete_time_out + 60, POLL, lambda: None)


class DeleteServerGroups(base.Step):
    name = 'delete_server_groups'
    failure = 'Could not delete the server group: %s; delete it again.'

    def run(self, flow):
        for group_id in cluster_records.server_group_ids(flow.context,
                                                         flow.cluster_id):
            try:
                flow.provider.compute.delete_server_group(flow.context,
                                                          group_id)
            except compute_base.ServerGroupNotFound:
                pass


# Flows ----------------------------------------------------------------------
class CreateClusterFlow(ClusterFlow):
    name = 'create_cluster'
    task = Tasks.BUILDING_INITIAL
    steps = (PlaceMembers(), WaitForMembers(), FormCluster(), Complete())

    def awaited(self):
        return [member.id for member in self.members()]


class GrowClusterFlow(ClusterFlow):
    name = 'grow_cluster'
    task = Tasks.GROWING_CLUSTER
    member_failure_task = InstanceTasks.GROWING_ERROR
    steps = (PlaceMembers(), WaitForMembers(), JoinNewMembers())

    def awaited(self):
        return list(self.work.args.get('new_ids') or [])

    def failed_members(self):
        return self.awaited()


class ShrinkClusterFlow(ClusterFlow):
    name = 'shrink_cluster'
    task = Tasks.SHRINKING_CLUSTER
    member_failure_task = InstanceTasks.SHRINKING_ERROR
    steps = (WaitForRemoved(), UpdateRemaining())

    def failed_members(self):
        """The removed members not gone; the others keep serving."""
        removed = set(self.work.args.get('removed_ids') or [])
        return [member_id for member_id in cluster_records.member_ids(
            self.context, self.cluster_id) if member_id in removed]


class DeleteClusterFlow(ClusterFlow):
    name = 'delete_cluster'
    task = Tasks.DELETING
    steps = (WaitForDeleted(), DeleteServerGroups())

    def succeeded(self):
        cluster_records.soft_delete(self.context, self.cluster_id)
        LOG.info('Cluster %s deleted', self.cluster_id)

    def failed_members(self):
        return []
