"""Synchronous or asynchronous replication on every member of a replica
set (taskmanager RPC 1.5 ``set_replication_mode``, the failover flow, a
new replica of a sync primary).

Every member gets the mode, whatever its role, so the one promoted next
is already what its set needs. The primary goes first: to async, it
stops waiting before its replicas stop acknowledging; to sync, its
replicas' reconnections find it semi-synchronous already (a MariaDB
replica that connects to a source not yet semi-synchronous receives
nothing more once the source switches). A member that
cannot take it keeps a fault and does not stop the others. It claims no
work: it changes no task.
"""

from oslo_log import log as logging

from trove.common import exception
from trove.guestagent import api as guest_api
from trove.records import faults
from trove.records import replication_sets
from trove.taskmanager import instance_records as records

LOG = logging.getLogger(__name__)


def apply(context, primary_id, mode, members=None):
    """Returns the ids that could not take ``mode``."""
    replicas = list(members if members is not None
                    else replication_sets.members(context, primary_id))
    order = [primary_id] + replicas
    failed = []
    for member in order:
        try:
            guest_api.API(context, member).set_replication_mode(mode)
        except exception.TroveError as error:
            LOG.warning('Instance %s did not switch to %s replication: %s',
                        member, mode, error)
            faults.save_fault(context, member, (
                'Could not switch to %s replication: %s' % (mode, error))
                [:255])
            failed.append(member)
    LOG.info('Replication of %s is %s (%d member(s))', primary_id, mode,
             len(order) - len(failed))
    return failed


class SetModeFlow:
    """The mode recorded on the primary, on every member."""

    name = 'set_replication_mode'

    def __init__(self, context, instance_id):
        self.context = context
        self.instance_id = instance_id

    def run(self):
        record = records.load(self.context, self.instance_id)
        if record is None or record.deleted:
            return
        mode = replication_sets.mode_of(self.context, self.instance_id)
        apply(self.context, self.instance_id, mode)
