"""The failover monitor: one taskmanager of the deployment (the leader,
by a lease in the claims table) probes every watched primary's engine
each ``failover_probe_interval`` and starts the failover of one that
failed.

* Watched: live primaries with replicas and auto_failover on, settled
  (task NONE, server ACTIVE), outside their anti-flapping block.
* Suspected: ``failover_probe_failures`` consecutive failed probes (the
  guest agent's heartbeat plays no part: a dead agent with a live engine
  is not a failure, and a dead engine is seen within seconds). After a
  first failure the next probes follow a quarter interval apart.
* Confirmed (trove.taskmanager.failover.decision): the provider says the
  server is gone, or every answering replica lost its replication
  connection. Not confirmed: the replicas are asked again at the next
  failed probe (a hung primary's replicas give up on it within 5 s); a
  probe that succeeds clears the suspicion.
* The decision picks the most advanced eligible replica; with none, the
  primary gets a fault saying why and the monitor asks again after
  ``RETRY_AFTER_REFUSAL`` seconds.
* Started: the members become EJECTING and the ``failover`` work is
  submitted in one transaction, then run here.

Probes and replica questions run in a thread pool; the monitor's lock
only guards its counters and is never held while work is handed to the
pool or waited for (an earlier version held it there and deadlocked when
the pool was busy).
"""

import concurrent.futures
import json
import threading
import time

from oslo_log import log as logging
import sqlalchemy as sa

from trove.common import context as trove_context
from trove.common import exception, states
from trove.compute import base as compute_base
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.guestagent import api as guest_api
from trove.records import faults
from trove.records import replication_sets
from trove.records import work_claims as claims
from trove.taskmanager.failover import decision
from trove.taskmanager.failover import probes

LOG = logging.getLogger(__name__)

Row = db_models.Instance
Tasks = states.InstanceTasks
LEADER = 'failover_monitor'
RETRY_AFTER_REFUSAL = 30.0
# Seconds a replica may take to say how its replication is.
REPLICA_ANSWER_TIMEOUT = 3


class Watch:
    """What the monitor remembers of one primary."""

    __slots__ = ('failures', 'last_ok_at', 'suspected_at', 'retry_after',
                 'last_error')

    def __init__(self):
        self.failures = 0
        self.last_ok_at = time.time()
        self.suspected_at = None
        self.retry_after = 0.0
        self.last_error = None


class FailoverMonitor:

    def __init__(self, provider, start_flow, owner=None, workers=8):
        """``start_flow(context, claimed)`` runs claimed failover work."""
        self.provider = provider
        self.start_flow = start_flow
        self.owner = owner or claims.OWNER
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='failover-probe')
        self._lock = threading.Lock()
        self._watches = {}

    def stop(self):
        self._pool.shutdown(wait=False, cancel_futures=True)

    def watch_of(self, instance_id):
        with self._lock:
            return self._watches.get(instance_id)

    # One turn ------------------------------------------------------------------
    def tick(self, context=None):
        """Probe once; returns the ids whose failover started."""
        context = context or trove_context.get_admin_context()
        rows = [row for row in replication_sets.watched_sources(context)
                if _settled(row)]
        lease = max(3.0, 3 * CONF.failover_probe_interval)
        # Nothing to watch: no lease write every second.
        if not rows or not claims.leader_turn(context, LEADER, lease,
                                              owner=self.owner):
            with self._lock:
                self._watches.clear()
            return []
        probed = self._probe_all(rows)
        suspects = self._count(rows, probed)
        # A primary that just failed a probe is probed again at once, a
        # quarter interval apart, until it answers or is suspected: a dead
        # engine is suspected within about one interval, not three.
        for _ in range(CONF.failover_probe_failures - 1):
            failing = [row for row in rows if self._failing(row.id)
                       and row not in suspects]
            if not failing:
                break
            time.sleep(CONF.failover_probe_interval / 4.0)
            suspects += self._count(failing, self._probe_all(failing),
                                    forget_others=False)
        started = []
        for row in suspects:
            if self._confirm_and_start(context, row):
                started.append(row.id)
        return started

    def _probe_all(self, rows):
        """{id: ProbeResult}, probes in parallel; no lock held here."""
        timeout = CONF.failover_probe_timeout
        futures = {}
        for row in rows:
            host = _host(row)
            if host is None:
                continue
            manager = row.datastore_version.manager
            futures[row.id] = self._pool.submit(
                probes.probe, manager, host, probes.engine_port(manager),
                timeout)
        results = {}
        for instance_id, future in futures.items():
            try:
                results[instance_id] = future.result(timeout + 2.0)
            except concurrent.futures.TimeoutError:
                results[instance_id] = probes.ProbeResult(
                    False, timeout, 'the probe did not return')
        return results

    def _failing(self, instance_id):
        with self._lock:
            watch = self._watches.get(instance_id)
            return watch is not None and watch.failures > 0 and \
                time.time() >= watch.retry_after

    def _count(self, rows, probed, forget_others=True):
        """Update the counters; returns the rows now suspected."""
        now = time.time()
        suspects = []
        with self._lock:
            live = {row.id for row in rows}
            for gone in set(self._watches) - live if forget_others else ():
                del self._watches[gone]
            for row in rows:
                result = probed.get(row.id)
                if result is None:
                    continue
                watch = self._watches.setdefault(row.id, Watch())
                if result.ok:
                    watch.failures = 0
                    watch.last_ok_at = now
                    watch.suspected_at = None
                    continue
                watch.failures += 1
                watch.last_error = result.error
                if watch.failures == 1:
                    LOG.info('Probe of primary %s failed: %s', row.id,
                             result.error)
                if watch.failures >= CONF.failover_probe_failures and \
                        now >= watch.retry_after:
                    watch.suspected_at = watch.suspected_at or now
                    suspects.append(row)
        return suspects

    # Confirmation and decision ---------------------------------------------------
    def replica_reports(self, context, replica_ids):
        futures = {replica_id: self._pool.submit(
            _replica_status, context, replica_id)
            for replica_id in replica_ids}
        reports = []
        for replica_id, future in futures.items():
            try:
                status = future.result(REPLICA_ANSWER_TIMEOUT + 2)
            except Exception as error:
                LOG.info('Replica %s did not answer: %s', replica_id, error)
                status = None
            reports.append({'id': replica_id, 'answered': status is not None,
                            'status': status})
        return reports

    def provider_gone(self, context, row):
        """The server does not exist any more (or its provider reports
        it broken)."""
        try:
            server = self.provider.compute.get_server(
                context, row.compute_instance_id)
        except compute_base.ServerNotFound:
            return True
        except exception.TroveError as error:
            LOG.info('The provider cannot say how server %s is: %s',
                     row.compute_instance_id, error)
            return False
        # SHUTDOWN is not "gone": the local provider reports a server
        # whose agent died that way while its engine may well serve.
        return server.status == states.ServerStatus.ERROR

    def _confirm_and_start(self, context, row):
        replica_ids = replication_sets.members(context, row.id)
        reports = self.replica_reports(context, replica_ids)
        failed, why = decision.confirmed(self.provider_gone(context, row),
                                         reports)
        watch = self.watch_of(row.id)
        if not failed:
            LOG.info('Primary %s does not answer its probes (%s) but is not '
                     'confirmed failed: %s', row.id,
                     watch.last_error if watch else '?', why)
            # Still suspected: the next failed probe asks the replicas
            # again (a hung primary's replicas notice within seconds).
            with self._lock:
                if watch is not None:
                    watch.failures = CONF.failover_probe_failures - 1
            return False
        _auto, mode = replication_sets.failover_settings(row)
        candidate, choice, lags = decision.choose(
            reports, set(_hosts(row)), CONF.max_lag_on_failover, mode)
        if candidate is None:
            message = ('Automatic failover refused: %s; %s.'
                       % (why, choice))[:255]
            LOG.warning('Primary %s: %s', row.id, message)
            faults.save_fault(context, row.id, message)
            with self._lock:
                if watch is not None:
                    watch.retry_after = time.time() + RETRY_AFTER_REFUSAL
            return False
        return self.start_failover(context, row, replica_ids, candidate, {
            'reason': 'its engine did not answer %d probes and %s' % (
                CONF.failover_probe_failures, why),
            'choice': choice, 'lags': lags,
            'last_ok_at': watch.last_ok_at if watch else None,
            'suspected_at': watch.suspected_at if watch else None,
            'confirmed_at': time.time()})

    def start_failover(self, context, row, replica_ids, candidate, facts):
        members = [row.id] + list(replica_ids)
        args = dict(facts, members=members, candidate=candidate)
        now = db_models.utcnow()
        task = Tasks.EJECTING
        try:
            with db_api.writer(context) as session:
                # Only a set still settled: an API request may have moved
                # it meanwhile.
                moved = session.execute(sa.update(Row).where(
                    Row.id.in_(members), Row.deleted == sa.false(),
                    sa.func.coalesce(Row.task_id, Tasks.NONE.code)
                    == Tasks.NONE.code).values(
                    task_id=task.code, task_description=task.db_text,
                    task_start_time=now, updated=now)).rowcount
                if moved != len(members):
                    raise _Busy()
                claims.submit(session, row.id, 'instance', 'failover',
                              args=args)
        except _Busy:
            LOG.info('Failover of %s not started: its replica set is busy',
                     row.id)
            return False
        with self._lock:
            self._watches.pop(row.id, None)
        LOG.warning('Primary %s failed (%s); failing over to %s',
                    row.id, facts['reason'], candidate)
        claimed = claims.claim(context, row.id, 'failover', owner=self.owner)
        if claimed is not None:
            self.start_flow(context, claimed)
        return True


class _Busy(Exception):
    """A member of the set has a task: the transaction is undone."""


def _replica_status(context, replica_id):
    return guest_api.API(context, replica_id).get_replication_status(
        timeout=REPLICA_ANSWER_TIMEOUT)


def _settled(row):
    return (row.task_id in (None, Tasks.NONE.code)
            and row.server_status == states.ServerStatus.ACTIVE
            and replication_sets.blocked_until(row) is None)


def _hosts(row):
    try:
        addresses = json.loads(row.addresses or '[]')
    except ValueError:
        return []
    return [a['address'] for a in addresses
            if isinstance(a, dict) and a.get('address')]


def _host(row):
    hosts = _hosts(row)
    return hosts[0] if hosts else None
