"""What a former primary holds that its new primary lacks, for the fault
that keeps it out of replication (and the exact loss report of an
asynchronous failover).

MariaDB: a GTID is domain-server-sequence and one server's sequence
numbers in a domain grow by one per transaction, so comparing the last
sequence number of each (domain, server) pair on both sides (their
``gtid_binlog_state``, plus the new primary's ``gtid_slave_pos``: what it
applied as a replica) gives the exact GTIDs the new primary lacks.
"""


def gtid_state(*values):
    """{(domain, server): last sequence number} of GTID lists such as
    ``@@gtid_binlog_state`` ('0-1-105,1-2-7'); the highest wins."""
    state = {}
    for value in values:
        for item in (value or '').replace('\n', '').split(','):
            item = item.strip()
            if not item:
                continue
            domain, server, seq = (int(part) for part in item.split('-'))
            key = (domain, server)
            state[key] = max(seq, state.get(key, 0))
    return state


def missing_gtids(mine, theirs):
    """[(domain, server, first, last)] of the GTIDs in ``mine`` that
    ``theirs`` lacks (both as ``gtid_state`` gives them)."""
    ranges = []
    for (domain, server), last in sorted(mine.items()):
        reached = theirs.get((domain, server), 0)
        if last > reached:
            ranges.append((domain, server, reached + 1, last))
    return ranges


def count(ranges):
    return sum(last - first + 1 for _d, _s, first, last in ranges)


def describe(ranges):
    """'5 transaction(s): 0-1-101..0-1-105' (a single one without '..')."""
    parts = []
    for domain, server, first, last in ranges:
        start = '%d-%d-%d' % (domain, server, first)
        parts.append(start if first == last else
                     '%s..%d-%d-%d' % (start, domain, server, last))
    return '%d transaction(s): %s' % (count(ranges), ', '.join(parts))
