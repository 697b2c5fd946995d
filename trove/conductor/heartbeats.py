"""Recording guest heartbeats in batches.

Thousands of guests heartbeat every few seconds; a transaction per
heartbeat would make the control database the bottleneck. The RPC
endpoint only queues a heartbeat here; a writer thread flushes the queue
in ONE transaction when it reaches ``conductor_heartbeat_batch_size``, or
when its earliest deadline passes:

* a heartbeat that changes its instance's status (from the one this
  process last recorded) is due ``conductor_heartbeat_batch_interval``
  seconds after it arrived: a user waits for that change (BUILD to
  ACTIVE);
* a heartbeat that repeats it, almost all of them, is due
  ``conductor_heartbeat_steady_interval`` seconds after: it only
  refreshes ``updated_at``, whose expiry is counted in tens of seconds,
  and each transaction costs the conductor more CPU than the heartbeats
  it carries. The memory is this process's own: a status another service
  wrote (a restart's SHUTDOWN) is not in it, so the guest's next report
  may wait the steady interval before it shows.

The batch is written thus:

1. within the batch, only the newest heartbeat of an instance survives,
   carrying the status and the fault of the latest heartbeat of the
   instance that had one and came in order (newer than every one before
   it in the batch): a later repeat must not drop a failure's fault (and
   its event) or a status an earlier one reported, as a write per message
   would have recorded them, nor may a late one bring back what a write
   per message would have dropped;
2. the last-seen stamps of the batch's instances are read under a row
   lock (an instance's first heartbeat makes its stamp row first, with
   an insert that skips a row another conductor just made), and a
   heartbeat not newer than its instance's stamp is dropped (the
   ordering rule holds across batches and conductor processes);
3. stamps and service statuses are written with one UPDATE per 256
   instances (a CASE on the instance id), not one per heartbeat.

A pending RESTART_REQUIRED status is kept (see service_status).
"""

import dataclasses
import functools
import threading
import time

import sqlalchemy as sa
from oslo_db import exception as db_exception
from oslo_log import log as logging

from trove.common import context as trove_context
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import faults

LOG = logging.getLogger(__name__)

METHOD = 'heartbeat'
LastSeen = db_models.ConductorLastSeen
Status = db_models.ServiceStatusRecord
_RESTART_REQUIRED = states.ServiceStatuses.RESTART_REQUIRED.code
_ATTEMPTS = 3
# Statuses remembered to tell a change from a repeat; past this many the
# memory starts again (a forgotten instance's next heartbeat is only
# written sooner).
_REMEMBERED_MAX = 100_000


@dataclasses.dataclass
class Heartbeat:
    instance_id: str
    sent: float | None
    status: states.ServiceStatus | None
    # {"message", "details"}: why the status is what it is (a failed
    # prepare); written with the status, in the same transaction.
    fault: dict | None = None
    # Of a heartbeat standing for several (newest_per_instance): the
    # ``sent`` of the earlier one its status or fault came from, ordered
    # on its own against the instance's stamp. None: its own.
    status_sent: float | None = None
    fault_sent: float | None = None


def newest_per_instance(heartbeats):
    """The newest heartbeat of each instance (None ``sent`` wins: it
    cannot be ordered, upstream accepts it), with the status and the
    fault of the latest in-order one that carried one when it has none
    (``heartbeats`` in the order they came)."""
    newest, with_status, with_fault, latest_sent = {}, {}, {}, {}
    for beat in heartbeats:
        _keep_newer(newest, beat)
        if not _in_order(beat, latest_sent):
            continue
        if beat.status is not None:
            with_status[beat.instance_id] = beat
        if beat.fault is not None:
            with_fault[beat.instance_id] = beat
    merged = []
    for instance_id, beat in newest.items():
        status_beat = with_status.get(instance_id)
        if beat.status is None and status_beat is not None:
            beat = dataclasses.replace(beat, status=status_beat.status,
                                       status_sent=status_beat.sent)
        fault_beat = with_fault.get(instance_id)
        if beat.fault is None and fault_beat is not None:
            beat = dataclasses.replace(beat, fault=fault_beat.fault,
                                       fault_sent=fault_beat.sent)
        merged.append(beat)
    return merged


def _keep_newer(newest, beat):
    current = newest.get(beat.instance_id)
    if (current is None or beat.sent is None
            or (current.sent is not None and beat.sent > current.sent)):
        newest[beat.instance_id] = beat


def _in_order(beat, latest_sent):
    """Whether ``beat`` is newer than every earlier one of its instance
    in the batch (a write per message would not drop it for them)."""
    if beat.sent is None:
        return True
    latest = latest_sent.get(beat.instance_id)
    if latest is not None and not newer(beat.sent, latest):
        return False
    latest_sent[beat.instance_id] = beat.sent
    return True


def _without_stale_parts(beat, last_seen):
    """``beat`` without a status or fault it carries from an earlier
    heartbeat that is not newer than the instance's stamp."""
    stamp = last_seen.get(beat.instance_id)
    if stamp is None:
        return beat
    if beat.status_sent is not None and not newer(beat.status_sent, stamp):
        beat = dataclasses.replace(beat, status=None, status_sent=None)
    if beat.fault_sent is not None and not newer(beat.fault_sent, stamp):
        beat = dataclasses.replace(beat, fault=None, fault_sent=None)
    return beat


class HeartbeatRecorder:

    def __init__(self, interval, batch_size, steady_interval=None):
        self.interval = interval
        self.steady_interval = max(interval, steady_interval or 0)
        self.batch_size = batch_size
        self._pending = []
        self._due_at = None
        self._recorded = {}
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = None
        self.written = 0
        self.dropped = 0

    def start(self):
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name='heartbeat-writer')
            self._thread.start()

    def add(self, beat):
        if self._thread is None:
            self.write([beat])
            return
        wait = (self.interval if self._changes_status(beat)
                else self.steady_interval)
        due_at = time.monotonic() + wait
        with self._condition:
            self._pending.append(beat)
            if self._due_at is None or due_at < self._due_at:
                self._due_at = due_at
                self._condition.notify()
            elif len(self._pending) == self.batch_size:
                self._condition.notify()

    def _changes_status(self, beat):
        return beat.fault is not None or (
            beat.status is not None
            and self._recorded.get(beat.instance_id) != beat.status.code)

    def stop(self):
        if self._thread is None:
            return
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join(timeout=30)
        self._thread = None

    def _batch_due(self):
        return self._pending and (len(self._pending) >= self.batch_size
                                  or time.monotonic() >= self._due_at)

    def _run(self):
        while True:
            with self._condition:
                while not self._stopping and not self._batch_due():
                    self._condition.wait(
                        None if self._due_at is None
                        else self._due_at - time.monotonic())
                batch, self._pending, self._due_at = self._pending, [], None
                stopping = self._stopping
            if batch:
                try:
                    self.write(batch)
                except Exception:
                    LOG.exception('Could not record %d heartbeats',
                                  len(batch))
            if stopping:
                return

    def write(self, batch):
        beats = newest_per_instance(batch)
        self.dropped += len(batch) - len(beats)
        for attempt in range(_ATTEMPTS):
            try:
                self._write_once(beats)
                return
            except (db_exception.DBDuplicateEntry,
                    db_exception.DBDeadlock):
                # Another conductor recorded one of these instances at
                # the same moment; read its stamps again.
                if attempt == _ATTEMPTS - 1:
                    raise

    def _write_once(self, beats):
        context = trove_context.get_admin_context()
        now = db_models.utcnow()
        with db_api.writer(context) as session:
            beats = self._known(session, beats)
            ids = [beat.instance_id for beat in beats]
            if not ids:
                return
            last_seen = self._locked_stamps(session, ids)
            missing = [i for i in ids if i not in last_seen]
            if missing:
                # An instance's first heartbeat: its stamp row is made
                # (unless another conductor makes it at the same moment),
                # so every stamp of the batch can be locked.
                _insert_missing_stamps(session, missing)
                last_seen.update(self._locked_stamps(session, missing))
            accepted = [_without_stale_parts(beat, last_seen)
                        for beat in beats
                        if beat.sent is None
                        or beat.instance_id not in last_seen
                        or newer(beat.sent, last_seen[beat.instance_id])]
            self.dropped += len(beats) - len(accepted)
            self._write_stamps(session, accepted, last_seen)
            self._write_statuses(session, accepted, now)
            for beat in accepted:
                if beat.fault is not None:
                    faults.save_in(session, beat.instance_id,
                                   beat.fault['message'],
                                   beat.fault.get('details'))
        self.written += len(accepted)
        self._remember(accepted)

    @staticmethod
    def _locked_stamps(session, ids):
        return dict(session.execute(
            sa.select(LastSeen.instance_id, LastSeen.sent)
            .where(LastSeen.method_name == METHOD,
                   LastSeen.instance_id.in_(ids))
            .with_for_update()).all())

    def _known(self, session, beats):
        """The heartbeats of instances this deployment knows; another
        deployment's guest (a shared broker) writes nothing here."""
        ids = [beat.instance_id for beat in beats]
        known = set(session.scalars(sa.select(Status.instance_id).where(
            Status.instance_id.in_(ids))))
        unknown = len(beats) - sum(1 for b in beats
                                   if b.instance_id in known)
        if unknown:
            LOG.warning('Ignoring %d heartbeat(s) of instances this '
                        'deployment does not know', unknown)
            self.dropped += unknown
        return [beat for beat in beats if beat.instance_id in known]

    def _remember(self, accepted):
        if len(self._recorded) > _REMEMBERED_MAX:
            self._recorded = {}
        for beat in accepted:
            if beat.status is not None:
                self._recorded[beat.instance_id] = beat.status.code

    @staticmethod
    def _write_stamps(session, accepted, last_seen):
        # Every instance of the batch has a (locked) stamp row by now.
        updates = [(beat.instance_id, beat.sent) for beat in accepted
                   if beat.sent is not None]
        for statement, parameters in _padded_chunks(_stamps_update,
                                                    updates):
            session.execute(statement, parameters)

    @staticmethod
    def _write_statuses(session, accepted, now):
        with_status = [(beat.instance_id, beat.status.code,
                        beat.status.description)
                       for beat in accepted if beat.status is not None]
        touch_only = [(beat.instance_id,) for beat in accepted
                      if beat.status is None]
        for template, rows in ((_statuses_update, with_status),
                               (_touch_update, touch_only)):
            for statement, parameters in _padded_chunks(template, rows):
                parameters['now'] = now
                session.execute(statement, parameters)


# The stamp of an instance that never reported: older than any "sent".
_NEVER = -1.0


def received_stamp(sent):
    """A message's ``sent`` for ordering: a stamp from the future (a guest
    clock ahead) counts as now, else one such message would make every
    later one look old and freeze the instance's status."""
    if sent is None:
        return None
    return min(float(sent), time.time())


def newer(sent, last_seen):
    """Whether ``sent`` orders after ``last_seen``; far older means the
    guest's clock went back (conductor_clock_jump), not a late message."""
    return last_seen < sent or last_seen - sent > CONF.conductor_clock_jump


def _insert_missing_stamps(session, instance_ids):
    """Stamp rows for these instances, skipping any another conductor
    inserted meanwhile (no duplicate-key failure to retry)."""
    rows = [{'instance_id': instance_id, 'method_name': METHOD,
             'sent': _NEVER} for instance_id in instance_ids]
    dialect = session.get_bind().dialect.name
    table = LastSeen.__table__
    if dialect == 'postgresql':
        from sqlalchemy.dialects import postgresql
        statement = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect in ('mysql', 'mariadb'):
        statement = sa.insert(table).prefix_with('IGNORE')
    else:
        from sqlalchemy.dialects import sqlite
        statement = sqlite.insert(table).on_conflict_do_nothing()
    session.execute(statement, rows)


# A batch is written with UPDATEs of up to _CHUNK rows each (a CASE on the
# instance id), not one statement per heartbeat: drivers run an
# executemany of UPDATEs row by row. The statements are built once per
# power-of-two size and reused (SQLAlchemy compiles each once); a smaller
# chunk is padded by repeating its last row, which changes nothing.
_CHUNK = 256


def _padded_chunks(template, rows):
    """(statement, parameters) for ``rows`` (tuples: instance id, values
    in the order of the template's columns)."""
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        size = 1 << (len(chunk) - 1).bit_length()
        chunk = chunk + [chunk[-1]] * (size - len(chunk))
        parameters = {}
        for index, row in enumerate(chunk):
            for field, value in enumerate(row):
                parameters['p%d_%d' % (index, field)] = value
        yield template(size), parameters


def _case(table, size, field, column):
    """``CASE instance_id WHEN :p<i>_0 THEN :p<i>_<field> ... END``."""
    return sa.case(*[(table.c.instance_id == sa.bindparam(
                          'p%d_0' % index, type_=table.c.instance_id.type),
                      sa.bindparam('p%d_%d' % (index, field),
                                   type_=column.type))
                     for index in range(size)])


def _where_instances(table, size):
    return table.c.instance_id.in_(
        [sa.bindparam('p%d_0' % index, type_=table.c.instance_id.type)
         for index in range(size)])


@functools.cache
def _stamps_update(size):
    table = LastSeen.__table__
    return (sa.update(table)
            .where(table.c.method_name == METHOD,
                   _where_instances(table, size))
            .values(sent=_case(table, size, 1, table.c.sent)))


@functools.cache
def _statuses_update(size):
    table = Status.__table__
    keep = table.c.status_id == _RESTART_REQUIRED
    # MySQL assigns left to right and later expressions see earlier
    # assignments: the description goes first, while status_id still holds
    # the value ``keep`` must test.
    return (sa.update(table)
            .where(_where_instances(table, size))
            .ordered_values(
                (table.c.status_description, sa.case(
                    (keep, table.c.status_description),
                    else_=_case(table, size, 2,
                                table.c.status_description))),
                (table.c.status_id, sa.case(
                    (keep, table.c.status_id),
                    else_=_case(table, size, 1, table.c.status_id))),
                (table.c.updated_at,
                 sa.bindparam('now', type_=table.c.updated_at.type))))


@functools.cache
def _touch_update(size):
    table = Status.__table__
    return (sa.update(table)
            .where(_where_instances(table, size))
            .values(updated_at=sa.bindparam(
                'now', type_=table.c.updated_at.type)))
