from trove.guestagent.replication import divergence


def test_gtids_the_new_primary_lacks():
    mine = divergence.gtid_state('0-1-105')
    # The new primary (server 2) applied up to 0-1-100 as a replica and
    # then wrote its own transactions.
    theirs = divergence.gtid_state('0-1-100,0-2-130', '0-2-130')
    ranges = divergence.missing_gtids(mine, theirs)
    assert ranges == [(0, 1, 101, 105)]
    assert divergence.count(ranges) == 5
    assert divergence.describe(ranges) == \
        '5 transaction(s): 0-1-101..0-1-105'


def test_nothing_missing_and_single_and_several_domains():
    assert divergence.missing_gtids(divergence.gtid_state('0-1-5'),
                                    divergence.gtid_state('0-1-5')) == []
    ranges = divergence.missing_gtids(
        divergence.gtid_state('0-1-7,\n1-1-3'),
        divergence.gtid_state('0-1-6', ''))
    assert divergence.describe(ranges) == \
        '4 transaction(s): 0-1-7, 1-1-1..1-1-3'
