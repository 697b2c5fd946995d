"""Replication flows: build a replica, detach it, promote it, eject a source.

* ``create_replica``: the build steps every instance has, then an account
  (and slot) of its own on the source, a snapshot of the source (a full
  backup), and a prepare that restores it and starts replicating; the
  snapshot is removed whatever happens.
* ``detach``: the replica stops replicating and takes writes; its account
  on the source goes.
* ``promote`` (planned switchover, on the candidate replica): the source
  is fenced (MariaDB: read-only for every account, sessions ended;
  PostgreSQL: a clean stop), the candidate applies everything the source
  wrote, then takes writes; the other replicas follow it, and only then
  the old source rejoins as its replica (upstream's Rocky order). Before
  the candidate is promoted any failure gives the source its writes back.
* ``eject`` (on a source whose guest stopped reporting): the source's
  server is stopped (fenced), the most advanced replica — positions
  compared as numbers — is promoted, the others follow it; the old source
  stays out with a fault.

Secrets (replication passwords) travel in calls between the taskmanager
and the guests and are never stored.
"""

import time

from oslo_log import log as logging

from trove.common import exception, notifications, states
from trove.compute import base as compute_base
from trove.conf import CONF
from trove.guestagent import api as guest_api
from trove.records import faults
from trove.records import replication_sets
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import base
from trove.taskmanager.flows import build_steps
from trove.taskmanager.flows import common
from trove.taskmanager.flows import replication_mode
from trove.taskmanager.flows import snapshot

LOG = logging.getLogger(__name__)

Tasks = states.InstanceTasks


def guest(flow, instance_id):
    return guest_api.API(flow.context, instance_id)


# Building a replica ------------------------------------------------------------
class ReserveSourceAccount(base.Step):
    """The replica's account (and slot) on the source, before the
    snapshot: a slot made now keeps every WAL segment from here on."""

    name = 'reserve_source_account'
    failure = 'Could not prepare the source for a new replica: %s'

    def run(self, flow):
        guest(flow, flow.source.id).get_replica_context(flow.instance_id)


class SnapshotSource(base.Step):
    name = 'snapshot_source'
    failure = 'Could not take the snapshot of the source: %s'

    def run(self, flow):
        backup_id = flow.progress.get('snapshot_id')
        if backup_id:
            state, _description = snapshot.state_of(flow.context, backup_id)
            if state != states.BackupState.COMPLETED:
                # Taken over mid-way: its outcome is unknown, start again.
                snapshot.remove(flow.context, backup_id)
                backup_id = None
        if not backup_id:
            backup_id = snapshot.start_when_free(flow, flow.source,
                                                 flow.instance_id)
            flow.save_progress(snapshot_id=backup_id)
        snapshot.wait(flow, backup_id)


class SendReplicaPrepare(base.Step):
    """Prepare with the snapshot and where to replicate from. The
    source's account gets a fresh password here, so the secret never has
    to be stored."""

    name = 'send_replica_prepare'
    failure = 'Could not send the prepare request to the replica: %s'

    def run(self, flow):
        source = guest(flow, flow.source.id).get_replica_context(
            flow.instance_id)
        admin_password = source.pop('admin_password', None)
        backup = build_steps.restore_info(flow, flow.progress['snapshot_id'])
        build_steps.send_prepare(flow, snapshot={
            'backup': backup, 'source': source,
            'source_admin_password': admin_password})


class ApplyReplicationMode(base.Step):
    """A new replica of a synchronous primary acknowledges too."""

    name = 'apply_replication_mode'
    failure = 'Could not switch the replica to synchronous replication: %s'

    def run(self, flow):
        if replication_sets.mode_of(flow.context, flow.source.id) == 'sync':
            guest(flow, flow.instance_id).set_replication_mode('sync')


class CreateReplicaFlow(common.InstanceFlow):

    name = 'create_replica'
    task = Tasks.BUILDING
    failure_task = Tasks.BUILDING_ERROR_REPLICA
    restoring = True
    steps = (build_steps.CreateServerGroup(), build_steps.CreateVolume(),
             build_steps.CreateServer(), build_steps.AttachVolume(),
             ReserveSourceAccount(), SnapshotSource(), SendReplicaPrepare(),
             build_steps.WaitForGuest(), ApplyReplicationMode())

    def __init__(self, context, work, provider, runner=None):
        super().__init__(context, work, provider, runner)
        self.source = None
        self.config_contents = None

    def before(self):
        build_steps.begin_build(self)
        source_id = self.work.args['replica_of']
        self.source = records.load(self.context, source_id)
        if self.source is None or self.source.gone:
            raise base.FlowFailed(
                Tasks.BUILDING_ERROR_REPLICA,
                'Its source instance %s was deleted.' % source_id)

    def succeeded(self):
        self._remove_snapshot()
        build_steps.finish(self)

    def on_failed(self, failure):
        self._remove_snapshot()
        super().on_failed(failure)

    def _remove_snapshot(self):
        if self.progress.get('snapshot_id'):
            snapshot.remove(self.context, self.progress['snapshot_id'])


# Detaching ------------------------------------------------------------------
class DetachFromSource(base.Step):
    name = 'detach_from_source'
    failure = 'Detaching the replica failed: %s'

    def run(self, flow):
        flow.guest().detach_replica()


class ForgetSource(base.Step):
    name = 'forget_source'

    def run(self, flow):
        source_id = flow.record.slave_of_id
        records.update(flow.context, flow.instance_id, slave_of_id=None)
        if source_id:
            remove_account(flow, source_id, flow.instance_id)


def remove_account(flow, source_id, replica_id):
    """The replica's account on its (former) source; best effort: an
    unreachable source only keeps an unused account."""
    try:
        guest(flow, source_id).cleanup_source_on_replica_detach(replica_id)
    except exception.TroveError as error:
        LOG.warning('The account of %s on %s was not removed: %s',
                    replica_id, source_id, error)


class DetachFlow(common.InstanceFlow):

    name = 'detach'
    task = Tasks.DETACHING
    failure_task = Tasks.DETACHING
    steps = (DetachFromSource(), ForgetSource())

    def succeeded(self):
        self.end_task()
        LOG.info('Replica %s detached', self.instance_id)

    def on_failed(self, failure):
        if failure.message:
            self.save_fault(failure.message, failure.details)
        self.end_task()


# A new source for a replica set ------------------------------------------------
class ReplicaSetFlow(common.InstanceFlow):
    """A flow over every member of a replica set (the work's ``members``:
    the old source first); each member's task was set by the API."""

    def before(self):
        self.load()
        self.members = list(self.work.args['members'])
        self.old_source_id = self.members[0]

    @property
    def candidate_id(self):
        return self.progress.get('candidate')

    @property
    def followers(self):
        """Members that will replicate from the candidate (old source
        excluded)."""
        return [m for m in self.members[1:] if m != self.candidate_id]

    def end_tasks(self, task):
        for member in self.members:
            records.update(self.context, member, task=Tasks.NONE,
                           only_if_task=task)

    def fault_on(self, instance_id, message, details=''):
        faults.save_fault(self.context, instance_id, message, details)


class PromoteCandidate(base.Step):
    name = 'promote_candidate'

    def run(self, flow):
        guest(flow, flow.candidate_id).detach_replica(for_failover=True)
        flow.progress['promoted'] = True
        flow.progress['promoted_at'] = time.time()


class RecordNewSource(base.Step):
    name = 'record_new_source'

    def run(self, flow):
        records.set_replica_source(flow.context, flow.candidate_id,
                                   flow.followers, flow.old_source_rejoins,
                                   old_source_id=flow.old_source_id)
        # A change of source: the next replication epoch for the set, and
        # the failover settings go with the primary role.
        members = list(flow.followers) + (
            [flow.old_source_id] if flow.old_source_rejoins else [])
        flow.progress['epoch'] = replication_sets.record_change_of_source(
            flow.context, flow.candidate_id, members,
            settings_from=flow.old_source_id)


class RepointReplicas(base.Step):
    """Each other replica follows the new source; one that cannot keeps a
    fault and does not fail the others."""

    name = 'repoint_replicas'

    def run(self, flow):
        new_source = guest(flow, flow.candidate_id)
        for member in flow.followers:
            try:
                guest(flow, member).attach_replica(
                    new_source.get_replica_context(member))
            except exception.TroveError as error:
                LOG.warning('Replica %s did not follow %s: %s', member,
                            flow.candidate_id, error)
                flow.fault_on(member, 'This replica could not follow its '
                                      'new source %s: %s'
                              % (flow.candidate_id, error))
        # The candidate's own account (it was a replica) is not needed.
        remove_account(flow, flow.candidate_id, flow.candidate_id)


class ApplyMode(base.Step):
    """A synchronous set stays synchronous under its new primary (which
    only now, with its replicas following, starts to wait for them)."""

    name = 'apply_mode'

    def run(self, flow):
        if replication_sets.mode_of(flow.context, flow.candidate_id) == \
                'sync':
            replication_mode.apply(flow.context, flow.candidate_id, 'sync')


class FenceSource(base.Step):
    name = 'fence_source'
    failure = 'Could not fence the replica source: %s'

    def run(self, flow):
        guest(flow, flow.old_source_id).make_read_only(True)
        flow.progress['fenced'] = True
        flow.progress['fenced_at'] = time.time()


class CatchUp(base.Step):
    name = 'catch_up'

    def run(self, flow):
        position = guest(flow, flow.old_source_id).get_last_txn()
        timeout = CONF.replication_catch_up_timeout
        candidate = guest(flow, flow.candidate_id)
        if not candidate.wait_for_txn(position, timeout):
            reached = candidate.get_last_txn()
            raise base.FlowFailed(
                Tasks.PROMOTION_ERROR,
                'Replica %s did not apply everything its source wrote '
                'within %d seconds (source at %s, replica at %s); the '
                'source takes writes again.' % (
                    flow.candidate_id, timeout, position.get('value'),
                    reached.get('value')))
        LOG.info('Candidate %s reached %s', flow.candidate_id,
                 position.get('value'))


class DemoteOldSource(base.Step):
    """The old source rejoins as a replica of the new one; if it holds
    transactions the new source lacks it stays out, with a fault."""

    name = 'demote_old_source'

    def run(self, flow):
        old = flow.old_source_id
        try:
            lost = guest(flow, old).attach_replica(
                guest(flow, flow.candidate_id).get_replica_context(old))
        except exception.TroveError as error:
            LOG.warning('Old source %s did not rejoin: %s', old, error)
            records.update(flow.context, old, slave_of_id=None)
            flow.fault_on(old, 'This former replica source stays out of '
                               'replication, fenced: %s' % error)
            return
        if lost:
            # The candidate caught up first: nothing should be; said if so.
            flow.fault_on(old, 'This former replica source rejoined as a '
                               'replica: %s.' % lost)


class PromoteFlow(ReplicaSetFlow):
    """On the candidate replica; every member PROMOTING."""

    name = 'promote'
    task = Tasks.PROMOTING
    failure_task = Tasks.PROMOTION_ERROR
    old_source_rejoins = True
    steps = (FenceSource(), CatchUp(), PromoteCandidate(),
             RecordNewSource(), RepointReplicas(), DemoteOldSource(),
             ApplyMode())

    def before(self):
        super().before()
        self.progress.setdefault('candidate', self.instance_id)

    def succeeded(self):
        self.end_tasks(Tasks.PROMOTING)
        # No write is taken from the fence to the promotion: the write
        # gap as the service sees it (clients add their reconnection).
        fenced, promoted = (self.progress.get('fenced_at'),
                            self.progress.get('promoted_at'))
        gap = round(promoted - fenced, 3) if fenced and promoted else None
        LOG.info('Replica %s is the source of its set now (write gap %s s, '
                 'epoch %s)', self.instance_id, gap,
                 self.progress.get('epoch'))
        notifications.notify_info(self.context, 'trove.instance.switchover',
                                  {'instance_id': self.instance_id,
                                   'old_primary': self.old_source_id,
                                   'new_primary': self.instance_id,
                                   'epoch': self.progress.get('epoch'),
                                   'write_gap_seconds': gap})

    def on_failed(self, failure):
        if self.progress.get('fenced') and not self.progress.get(
                'promoted'):
            try:
                guest(self, self.old_source_id).make_read_only(False)
            except exception.TroveError as error:
                LOG.error('The source %s could not take writes again: %s',
                          self.old_source_id, error)
                self.fault_on(self.old_source_id,
                              'A failed promotion left this instance '
                              'fenced: %s' % error)
        super().on_failed(failure)
        for member in self.members:
            if member != self.instance_id:
                records.update(self.context, member, task=Tasks.NONE,
                               only_if_task=Tasks.PROMOTING)


class FenceServer(base.Step):
    """The ejected source's server is stopped: whatever made its guest go
    silent, its engine takes no write any more."""

    name = 'fence_server'

    def run(self, flow):
        record = records.load(flow.context, flow.old_source_id)
        server_id = record.compute_instance_id if record else None
        if not server_id:
            return
        try:
            flow.compute.fence_server(flow.context, server_id)
        except compute_base.ServerNotFound:
            return
        records.update(flow.context, flow.old_source_id,
                       server_status=states.ServerStatus.SHUTDOWN)


class ChooseCandidate(base.Step):
    name = 'choose_candidate'

    def run(self, flow):
        best = None
        for member in flow.members[1:]:
            try:
                position = guest(flow, member).get_last_txn()
            except exception.TroveError as error:
                LOG.warning('Replica %s cannot be reached: %s', member,
                            error)
                continue
            LOG.info('Replica %s is at %s', member, position.get('value'))
            if best is None or position['number'] > best[1]['number']:
                best = (member, position)
        if best is None:
            raise base.FlowFailed(
                Tasks.EJECTION_ERROR,
                'No replica could be reached to become the new source.')
        flow.progress['candidate'] = best[0]


class EjectFlow(ReplicaSetFlow):
    """On the silent source; every member EJECTING."""

    name = 'eject'
    task = Tasks.EJECTING
    failure_task = Tasks.EJECTION_ERROR
    old_source_rejoins = False
    steps = (FenceServer(), ChooseCandidate(), PromoteCandidate(),
             RecordNewSource(), RepointReplicas(), ApplyMode())

    def succeeded(self):
        self.fault_on(self.old_source_id,
                      'Ejected from its replica set: its guest agent stopped '
                      'reporting, its server was stopped so it takes no '
                      'writes, and %s became the source. Delete it.'
                      % self.candidate_id)
        self.end_tasks(Tasks.EJECTING)

    def on_failed(self, failure):
        super().on_failed(failure)
        for member in self.members[1:]:
            records.update(self.context, member, task=Tasks.NONE,
                           only_if_task=Tasks.EJECTING)
