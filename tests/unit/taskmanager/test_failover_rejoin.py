"""The rejoin step of a failover when the old primary's guest refuses to
follow (it holds transactions the new primary lacks): it stays out, and
its fault says so in the guest's own words, whole in the details."""

import types

from trove.common import exception
from trove.taskmanager import instance_records as records
from trove.taskmanager.flows import failover_rejoin
from trove.taskmanager.flows import replication

REFUSAL = ('It holds 5 transaction(s): 0/3000DC0..0/30011A8 of timeline 1 '
           '(xid 738..742) its new source 127.0.0.5 lacks; it stays out of '
           'replication (a rewind would discard them)')


class FakeGuest:
    def rpc_ping(self):
        return True

    def get_replica_context(self, replica_id):
        return {'source': {'host': '127.0.0.5'}}

    def attach_replica(self, context):
        raise exception.GuestError(original_message=REFUSAL)


class FakeFlow:
    old_source_id, candidate_id = 'old', 'new'
    context = None

    def __init__(self):
        self.progress = {'epoch': 1}
        self.faults = []
        self.compute = types.SimpleNamespace(
            start_server=lambda context, server_id: None)

    def fault_on(self, instance_id, message, details=''):
        self.faults.append((instance_id, message, details))


def test_a_refused_rejoin_stays_out_with_the_guests_words(monkeypatch):
    monkeypatch.setattr(records, 'load', lambda context, instance_id:
                        types.SimpleNamespace(compute_instance_id='srv'))
    monkeypatch.setattr(records, 'update', lambda *a, **k: None)
    monkeypatch.setattr(replication, 'guest',
                        lambda flow, instance_id: FakeGuest())
    flow = FakeFlow()
    failover_rejoin.RejoinOldPrimary().run(flow)
    [(instance_id, message, details)] = flow.faults
    assert instance_id == 'old'
    assert message == ('Failed over to new (epoch 1); stays out, fenced: '
                       + REFUSAL)
    assert details == REFUSAL
    assert flow.progress['rejoin'] == REFUSAL
    assert 'rejoined' not in flow.progress
