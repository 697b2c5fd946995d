"""The last step of an automatic failover: the fenced old primary comes
back and rejoins as a replica of the new primary, or stays out.

Its server is started again. Its guest asks the conductor for its
standing before it starts the engine (``replication_standing``) and,
fenced in the epoch the failover recorded, starts it so that it takes no
client write (MariaDB read-only, PostgreSQL a standby of nobody). Then it
is told to follow the new primary: MariaDB by GTID position, PostgreSQL
by pg_rewind then as a standby. Both refuse when it holds transactions
the new primary lacks (MariaDB's GTIDs; the commits in the WAL a rewind
would discard; in sync mode their crash recovery, or the rewind, first
drops what no replica acknowledged). If it does not rejoin within
``failover_rejoin_timeout``, or is refused, it stays out, fenced, with a
fault saying why.

Either way the fault on the old primary reports exactly what an
asynchronous failover lost, in the same words for both engines
(trove.guestagent.replication.divergence): the refusal names the GTIDs,
or the WAL range and the xids committed in it, the new primary lacks
(whole in the fault's details). A PostgreSQL guest whose rewind in sync
mode discarded unacknowledged commits answers ``attach_replica`` with
them, which the rejoin fault carries (and ``progress['lost']``).
"""

import time

from oslo_log import log as logging

from trove.common import exception, states
from trove.conf import CONF
from trove.records import replication_sets
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import base
from trove.taskmanager.flows import replication

LOG = logging.getLogger(__name__)


def wait_for_agent(flow, instance_id, deadline):
    while True:
        try:
            replication.guest(flow, instance_id).rpc_ping()
            return
        except exception.TroveError as error:
            if time.monotonic() > deadline:
                raise exception.TroveError(
                    'its guest agent did not answer after the restart: %s'
                    % error)
            time.sleep(1)


class RejoinOldPrimary(base.Step):
    name = 'rejoin_old_primary'

    def run(self, flow):
        old, new = flow.old_source_id, flow.candidate_id
        record = records.load(flow.context, old)
        server_id = record.compute_instance_id if record else None
        if not server_id:
            return
        started = time.time()
        deadline = time.monotonic() + CONF.failover_rejoin_timeout
        try:
            flow.compute.start_server(flow.context, server_id)
            records.update(flow.context, old,
                           server_status=states.ServerStatus.ACTIVE)
            wait_for_agent(flow, old, deadline)
            context = replication.guest(flow, new).get_replica_context(old)
            lost = replication.guest(flow, old).attach_replica(context)
        except exception.TroveError as error:
            # The guest's own words (what it holds), not the RPC's.
            reason = str(error.kwargs.get('original_message') or error)
            LOG.warning('Old primary %s did not rejoin %s: %s', old, new,
                        reason)
            flow.progress['rejoin'] = reason
            flow.fault_on(old, (
                'Failed over to %s (epoch %s); stays out, fenced: %s' % (
                    new, flow.progress.get('epoch'), reason))[:255],
                # Whole, for administrators, should the message be cut.
                details=reason)
            return
        records.set_replica_source(flow.context, new, [old], False)
        replication_sets.rejoined(flow.context, old,
                                  replication_sets.epoch_of(flow.context,
                                                            new))
        flow.progress['rejoined'] = round(time.time() - started, 3)
        if lost:
            flow.progress['lost'] = lost
        mode = replication_sets.mode_of(flow.context, new)
        if mode == 'sync':
            try:
                replication.guest(flow, old).set_replication_mode(mode)
            except exception.TroveError as error:
                LOG.warning('Old primary %s stays async: %s', old, error)
        LOG.info('Old primary %s rejoined as a replica of %s in %s s', old,
                 new, flow.progress['rejoined'])
        flow.fault_on(old, (
            'Failed over to %s (epoch %s); it came back fenced and rejoined '
            'as its replica.%s' % (new, flow.progress.get('epoch'),
                                   ' %s.' % lost if lost else ''))[:255],
            # Whole, for administrators, should the message be cut.
            details=lost or '')
