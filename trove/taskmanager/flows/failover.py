"""Automatic failover: the flow the failover monitor starts on a failed
primary (trove.taskmanager.failover.monitor), every member EJECTING.

1. ``fence_server``: the provider stops the old primary's server for
   good (the local provider SIGKILLs its agent, engine and everything
   they started) before anything is promoted, so whatever state its
   engine was in (dead, hung, partitioned) it takes no further write.
2. ``promote_candidate``: the replica the monitor chose (the most
   advanced eligible one) stops replicating and takes writes.
3. ``record_failover``: in one transaction the candidate is the source,
   every member gets the next replication epoch, the auto_failover and
   replication_mode settings move to the new primary, and the set's
   failover time starts the anti-flapping block.
4. ``repoint_replicas``: the other replicas follow the new primary.
5. ``settle_mode``: the set keeps its replication mode; a sync primary
   left without a replica becomes async (it would wait forever).
6. ``announce``: a fault on both members saying what happened, the oslo
   notification ``trove.instance.failover`` and a taskmanager log line,
   both with the detection, fencing and promotion times.

7. ``rejoin_old_primary`` (trove.taskmanager.flows.failover_rejoin):
   the old primary's server is started again; its guest starts the
   engine fenced and it rejoins as a replica of the new primary, or
   stays out, fenced, with a fault saying why.
"""

import time

from oslo_log import log as logging

from trove.common import notifications, states
from trove.records import replication_sets
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import base
from trove.taskmanager.flows import failover_rejoin
from trove.taskmanager.flows import replication
from trove.taskmanager.flows import replication_mode

LOG = logging.getLogger(__name__)

Tasks = states.InstanceTasks
EVENT = 'trove.instance.failover'


class Timed(base.Step):
    """A step whose duration lands in ``progress['timings']``."""

    def run(self, flow):
        started = time.time()
        self.work(flow)
        timings = dict(flow.progress.get('timings') or {})
        timings[self.name] = round(time.time() - started, 3)
        flow.progress['timings'] = timings

    def work(self, flow):
        raise NotImplementedError


class FenceOldServer(Timed):
    """The eject's fence (the provider's ``fence_server``), timed."""

    name = 'fence_server'
    failure = 'Could not fence the failed primary: %s'

    def work(self, flow):
        replication.FenceServer().run(flow)
        records.update(flow.context, flow.old_source_id,
                       server_status=states.ServerStatus.SHUTDOWN)
        flow.progress['fenced_at'] = time.time()


class PromoteChosen(Timed):
    name = 'promote_candidate'
    failure = 'Could not promote the chosen replica: %s'

    def work(self, flow):
        replication.PromoteCandidate().run(flow)


class RecordFailover(base.Step):
    name = 'record_failover'

    def run(self, flow):
        records.set_replica_source(flow.context, flow.candidate_id,
                                   flow.followers, False,
                                   old_source_id=flow.old_source_id)
        flow.progress['epoch'] = replication_sets.record_change_of_source(
            flow.context, flow.candidate_id, flow.followers, failover=True,
            settings_from=flow.old_source_id)
        # Its guest starts the engine fenced when it comes back.
        replication_sets.set_fenced(flow.context, flow.old_source_id,
                                    flow.progress['epoch'])


class SettleMode(base.Step):
    """The new primary's set keeps its mode; a sync primary left without
    any replica would wait for an acknowledgement forever: it becomes
    async (recorded, and said in its fault)."""

    name = 'settle_mode'

    def run(self, flow):
        mode = replication_sets.mode_of(flow.context, flow.candidate_id)
        followers = replication_sets.members(flow.context,
                                             flow.candidate_id)
        if mode == 'sync' and not followers:
            mode = 'async'
            replication_sets.set_settings(flow.context, flow.candidate_id,
                                          replication_mode=mode)
            flow.progress['mode_note'] = (
                'no replica is left, so its replication is async now')
        replication_mode.apply(flow.context, flow.candidate_id, mode,
                               members=followers)
        flow.progress['mode'] = mode


class Announce(base.Step):
    name = 'announce'

    def run(self, flow):
        flow.announce()


class FailoverFlow(replication.EjectFlow):
    """On the failed primary; every member EJECTING (an eject whose
    candidate the monitor chose, and that says more when it is done)."""

    name = 'failover'
    task = Tasks.EJECTING
    failure_task = Tasks.EJECTION_ERROR
    old_source_rejoins = False
    steps = (FenceOldServer(), PromoteChosen(), RecordFailover(),
             replication.RepointReplicas(), SettleMode(), Announce(),
             failover_rejoin.RejoinOldPrimary())

    def before(self):
        super().before()
        self.progress.setdefault('candidate', self.work.args['candidate'])

    def payload(self):
        args = self.work.args
        timings = dict(self.progress.get('timings') or {})
        suspected = args.get('suspected_at')
        confirmed = args.get('confirmed_at')
        detection = round(confirmed - args['last_ok_at'], 3) \
            if confirmed and args.get('last_ok_at') else None
        return {
            'instance_id': self.old_source_id,
            'old_primary': self.old_source_id,
            'new_primary': self.candidate_id,
            'replicas': self.followers,
            'epoch': self.progress.get('epoch'),
            'mode': self.progress.get('mode'),
            'reason': args.get('reason'),
            'choice': args.get('choice'),
            'lags': args.get('lags') or {},
            'suspected_at': suspected,
            'fenced_at': self.progress.get('fenced_at'),
            'detection_seconds': detection,
            'fence_seconds': timings.get('fence_server'),
            'promote_seconds': timings.get('promote_candidate'),
            'total_seconds': round(
                self.progress.get('promoted_at', time.time())
                - args['last_ok_at'], 3) if args.get('last_ok_at')
            else None,
        }

    def announce(self):
        payload = self.payload()
        self.fault_on(self.old_source_id, (
            'Failed over: %s; its server was fenced (stopped) so it takes '
            'no writes, and %s became the primary (epoch %s).' % (
                payload['reason'], self.candidate_id, payload['epoch']))[
                    :255])
        note = self.progress.get('mode_note')
        self.fault_on(self.candidate_id, (
            'Became the primary by an automatic failover from %s (epoch '
            '%s): %s%s.' % (self.old_source_id, payload['epoch'],
                            payload['choice'],
                            '; ' + note if note else ''))[:255])
        notifications.notify_info(self.context, EVENT, payload)
        LOG.info('Failover of %s to %s: detection %s s, fence %s s, '
                 'promote %s s, total %s s (epoch %s)',
                 self.old_source_id, self.candidate_id,
                 payload['detection_seconds'], payload['fence_seconds'],
                 payload['promote_seconds'], payload['total_seconds'],
                 payload['epoch'])

    def succeeded(self):
        self.end_tasks(Tasks.EJECTING)
