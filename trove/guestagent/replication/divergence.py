"""What a former primary holds that its new primary lacks, for the fault
that keeps it out of replication (and the exact loss report of an
asynchronous failover).

MariaDB: a GTID is domain-server-sequence and one server's sequence
numbers in a domain grow by one per transaction, so comparing the last
sequence number of each (domain, server) pair on both sides (their
``gtid_binlog_state``, plus the new primary's ``gtid_slave_pos``: what it
applied as a replica) gives the exact GTIDs the new primary lacks.

PostgreSQL: the new primary's timeline forked from the old one at a
switch point (the end of the last record it replayed; pg_rewind says it
as "servers diverged at WAL location ... on timeline ..."). What the
former primary wrote from there to the end of its WAL is what the new
primary lacks, and pg_rewind would discard it; the commit records in
that range (pg_waldump, read without rewinding) are the transactions it
holds.

Both are said the same way: ``It holds <n> transaction(s): <ranges> its
new source <host> lacks; it stays out of replication (<why>)``, and
neither engine joins its new source while they are there.
"""

import re

from trove.guestagent.replication import base

DIVERGED = re.compile(r'servers diverged at WAL location ([0-9A-Fa-f]+/'
                      r'[0-9A-Fa-f]+) on timeline (\d+)')
# A commit record as pg_waldump prints it ('tx:' is 0 for COMMIT
# PREPARED, whose description names the prepared transaction).
COMMIT_RECORD = re.compile(
    r'^rmgr: Transaction\b.*?\btx:\s*(\d+), lsn: ([0-9A-Fa-f]+/[0-9A-Fa-f]+)'
    r'.*?\bdesc: (COMMIT|COMMIT_PREPARED)\b(?: (\d+):)?', re.MULTILINE)


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


def _transactions(number, parts):
    return '%d transaction(s): %s' % (number, ', '.join(parts))


def describe(ranges):
    """'5 transaction(s): 0-1-101..0-1-105' (a single one without '..')."""
    parts = []
    for domain, server, first, last in ranges:
        start = '%d-%d-%d' % (domain, server, first)
        parts.append(start if first == last else
                     '%s..%d-%d-%d' % (start, domain, server, last))
    return _transactions(count(ranges), parts)


def lacked_by(description, source_host, held=False):
    """The report of what a former primary holds (``held``: held until
    its rewind) and its new source lacks (``description``: as
    ``describe`` / ``describe_wal`` say it)."""
    return 'It %s %s its new source %s lacks' % (
        'held' if held else 'holds', description, source_host)


def stays_out(report, reason):
    """Why a former primary does not join its new source: what it holds
    (``lacked_by``) and the engine's ``reason``."""
    return '%s; it stays out of replication (%s)' % (report, reason)


# PostgreSQL -------------------------------------------------------------------
def lsn_text(number):
    """As PostgreSQL writes a WAL location: '0/3004238'."""
    return '%X/%X' % (number >> 32, number & 0xFFFFFFFF)


def rewind_divergence(output):
    """(switch point, timeline) pg_rewind reports (its dry run does too),
    or None when the servers did not diverge (same timeline)."""
    found = DIVERGED.search(output or '')
    if not found:
        return None
    return lsn_text(base.lsn_number(found.group(1))), int(found.group(2))


def wal_commits(output):
    """[(xid, commit record's LSN)] of the commit records in pg_waldump's
    ``output``, in WAL order."""
    commits = []
    for tx, lsn, kind, prepared in COMMIT_RECORD.findall(output or ''):
        xid = int(prepared) if kind == 'COMMIT_PREPARED' and prepared \
            else int(tx)
        commits.append((xid, lsn_text(base.lsn_number(lsn))))
    return commits


def _number_ranges(numbers):
    """'750..754, 757' of sorted distinct numbers."""
    parts = []
    for number in sorted(set(numbers)):
        if parts and parts[-1][1] == number - 1:
            parts[-1][1] = number
        else:
            parts.append([number, number])
    return ', '.join(str(a) if a == b else '%d..%d' % (a, b)
                     for a, b in parts)


def describe_wal(start, end, timeline, xids):
    """'5 transaction(s): 0/3004238..0/3004430 of timeline 1 (xid
    726..730)': the WAL from the switch point ``start`` to the former
    primary's end ``end`` and the transactions committed in it."""
    text = _transactions(len(xids), ['%s..%s of timeline %d' % (
        start, end, timeline)])
    return text + (' (xid %s)' % _number_ranges(xids) if xids else '')
