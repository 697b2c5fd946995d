"""The failover decision: when a suspected primary counts as failed, and
which replica replaces it."""

from trove.taskmanager.failover import decision


def report(replica_id, number, connected=False, source='10.0.0.1',
           role='replica', answered=True, **extra):
    status = dict({'role': role, 'connected': connected,
                   'source_host': source,
                   'position': {'number': number, 'value': str(number)}},
                  **extra)
    return {'id': replica_id, 'answered': answered,
            'status': status if answered else None}


def test_confirmed_only_when_every_answering_replica_lost_it():
    assert decision.confirmed(False, [report('a', 5), report('b', 4)])[0]
    failed, why = decision.confirmed(
        False, [report('a', 5), report('b', 4, connected=True)])
    assert not failed and 'b still stream' in why
    # A replica that does not answer does not vote.
    assert decision.confirmed(
        False, [report('a', 5), report('b', 0, answered=False)])[0]
    failed, why = decision.confirmed(False, [report('a', 0, answered=False)])
    assert not failed and 'none of its replicas answers' in why
    assert decision.confirmed(True, []) == (True, 'its server is gone')


def test_the_most_advanced_eligible_replica_wins():
    chosen, why, lags = decision.choose(
        [report('a', 100), report('b', 120), report('c', 90)],
        {'10.0.0.1'}, max_lag=50)
    assert chosen == 'b' and '120' in why
    assert lags == {'a': 20, 'b': 0, 'c': 30}


def test_ineligible_replicas_are_left_out_with_a_reason():
    reports = [report('far', 10), report('near', 1000),
               report('other', 2000, source='10.9.9.9'),
               report('errant', 1500, extra_transactions='0-9-3'),
               report('primary', 3000, role='primary'),
               report('mute', 0, answered=False)]
    chosen, _why, _lags = decision.choose(reports, {'10.0.0.1'},
                                          max_lag=1000)
    # The newest position any member reported (3000) makes 'near' 2000
    # behind: past max_lag, nobody is eligible, and the reason says why.
    assert chosen is None
    _c, why, _l = decision.choose(reports, {'10.0.0.1'}, max_lag=1000)
    for words in ('far is 2990 behind', 'other follows 10.9.9.9',
                  'errant holds transactions the primary lacked (0-9-3)',
                  'primary is not a replica', 'mute does not answer'):
        assert words in why, why
    chosen, _why, _lags = decision.choose(reports, {'10.0.0.1'},
                                          max_lag=2500)
    assert chosen == 'near'


def test_no_replica_answers():
    assert decision.choose([report('a', 0, answered=False)], set(), 10) == \
        (None, 'no replica answers', {})


def test_received_positions_decide_and_sync_needs_every_replica():
    applied_behind = report('a', 100)
    applied_behind['status']['received'] = {'number': 150, 'value': '150'}
    chosen, why, _lags = decision.choose(
        [applied_behind, report('b', 120)], set(), 100)
    assert chosen == 'a' and 'at 150' in why
    reports = [report('a', 100), report('b', 0, answered=False)]
    assert decision.choose(reports, set(), 100)[0] == 'a'
    chosen, why, _lags = decision.choose(reports, set(), 100, mode='sync')
    assert chosen is None and 'synchronous' in why and 'b' in why
