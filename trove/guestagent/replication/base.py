"""What a replication strategy does, and positions in a replication stream.

A *position* is how far an instance got in the stream of changes: a
MariaDB GTID position (``0-1-12``) or a PostgreSQL WAL location
(``0/3000148``). Strategies report it as a dict the control plane can
compare without knowing the engine: ``{"kind": "gtid"|"lsn", "value":
<as the engine writes it>, "number": <int, larger is further>}``.
"""

import abc

from trove.guestagent import errors

# Hidden from the users API by the admins (the same prefix there).
REPLICATION_USER_PREFIX = 'trove_repl_'


def replication_user(replica_id):
    """The replication account of one replica (short: MariaDB user names
    have 80 characters, PostgreSQL's 63, and slots only [a-z0-9_])."""
    return REPLICATION_USER_PREFIX + replica_id.replace('-', '')[:16]


def gtid_number(position, domain=None):
    """How far a GTID position is: the sum of its sequence numbers (of
    ``domain`` only, if given). ``0-1-12,1-2-5`` -> 17."""
    total = 0
    for part in (position or '').split(','):
        part = part.strip()
        if not part:
            continue
        try:
            part_domain, _server, sequence = part.split('-')
            if domain is None or int(part_domain) == domain:
                total += int(sequence)
        except ValueError:
            raise errors.GuestAgentError('Not a GTID position: %r'
                                         % position) from None
    return total


def lsn_number(lsn):
    """A PostgreSQL WAL location as an int: ``0/3000148`` -> 50331976."""
    if not lsn:
        return 0
    high, _sep, low = lsn.partition('/')
    try:
        return (int(high, 16) << 32) + int(low, 16)
    except ValueError:
        raise errors.GuestAgentError('Not a WAL location: %r' % lsn) \
            from None


class ReplicationStrategy(abc.ABC):
    """Replication of one engine (``self.engine``)."""

    kind = None     # 'gtid' or 'lsn'

    def __init__(self, engine):
        self.engine = engine

    def position(self, value):
        number = gtid_number(value) if self.kind == 'gtid' \
            else lsn_number(value)
        return {'kind': self.kind, 'value': value or '', 'number': number}

    # On the source -----------------------------------------------------------
    @abc.abstractmethod
    def add_replica_account(self, replica_id):
        """Create what a new replica connects with (an account; a slot);
        returns {"user", "password", "slot"?}."""

    @abc.abstractmethod
    def remove_replica_account(self, replica_id):
        """Drop them again (detach, delete); idempotent."""

    # On the replica ---------------------------------------------------------
    @abc.abstractmethod
    def restore_as_replica(self, manager, context, snapshot):
        """Fill the data directory from the source's snapshot (a backup)
        and start the engine replicating from the source."""

    @abc.abstractmethod
    def follow(self, source):
        """Replicate from ``source`` ({host, port, user, password, slot})
        from where this instance is, read-only. Raises when it cannot,
        staying out read-only (it holds transactions the source lacks:
        ``divergence.stays_out``); returns what joining discarded (a
        PostgreSQL former primary's rewind in sync mode: commits no
        client was told of, ``divergence.lacked_by``) or None."""

    @abc.abstractmethod
    def promote(self):
        """Stop replicating and take writes."""

    @abc.abstractmethod
    def fence(self):
        """Refuse every client write (root's too) and end client
        sessions, while replicas may still read the stream."""

    @abc.abstractmethod
    def unfence(self):
        """Undo ``fence``."""

    def start_fenced(self, mode):
        """Bring up the engine of a failed primary that was replaced (a
        later replication epoch) so that it takes no client write before
        it rejoins with ``follow``. By default it stays stopped."""
        return None

    @abc.abstractmethod
    def set_mode(self, mode):
        """'sync' or 'async' replication, now and at every start, whatever
        role this instance has (a replica keeps it for its promotion)."""

    @abc.abstractmethod
    def current_position(self):
        """Where this instance is (written, or replayed by a replica)."""

    @abc.abstractmethod
    def wait_for(self, position, timeout):
        """Whether this instance reached ``position`` within ``timeout``."""

    @abc.abstractmethod
    def status(self):
        """{"role": "primary"|"replica", "position", "received" (a
        replica: how far it received, applied or not), "connected": bool,
        "source_host", "error"} of the replication here."""
