"""Recording guest heartbeats in batches.

Thousands of guests heartbeat every few seconds; a transaction per
heartbeat would make the control database the bottleneck. The RPC
endpoint only queues a heartbeat here; a writer thread flushes the queue
every ``conductor_heartbeat_batch_interval`` seconds (or when it reaches
``conductor_heartbeat_batch_size``) in ONE transaction:

1. within the batch, only the newest heartbeat of an instance survives;
2. the last-seen stamps of the batch's instances are read under a row
   lock, and a heartbeat not newer than its instance's stamp is dropped
   (the ordering rule holds across batches and conductor processes);
3. stamps and service statuses are written with one executemany each.

A pending RESTART_REQUIRED status is kept (see service_status).
"""

import dataclasses
import threading

from oslo_db import exception as db_exception
from oslo_log import log as logging
import sqlalchemy as sa

from trove.common import context as trove_context
from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)

METHOD = 'heartbeat'
LastSeen = db_models.ConductorLastSeen
Status = db_models.ServiceStatusRecord
_RESTART_REQUIRED = states.ServiceStatuses.RESTART_REQUIRED.code
_ATTEMPTS = 3


@dataclasses.dataclass
class Heartbeat:
    instance_id: str
    sent: float | None
    status: states.ServiceStatus | None


def newest_per_instance(heartbeats):
    """The newest heartbeat of each instance (None ``sent`` wins: it
    cannot be ordered, upstream accepts it)."""
    newest = {}
    for beat in heartbeats:
        current = newest.get(beat.instance_id)
        if (current is None or beat.sent is None
                or (current.sent is not None and beat.sent > current.sent)):
            newest[beat.instance_id] = beat
    return list(newest.values())


class HeartbeatRecorder:

    def __init__(self, interval, batch_size):
        self.interval = interval
        self.batch_size = batch_size
        self._pending = []
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
        with self._condition:
            self._pending.append(beat)
            if len(self._pending) in (1, self.batch_size):
                self._condition.notify()

    def stop(self):
        if self._thread is None:
            return
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join(timeout=30)
        self._thread = None

    def _run(self):
        while True:
            with self._condition:
                while not self._pending and not self._stopping:
                    self._condition.wait()
                if len(self._pending) < self.batch_size and \
                        not self._stopping:
                    # Let the batch fill for one interval after its first
                    # heartbeat (or until it is full).
                    self._condition.wait(self.interval)
                batch, self._pending = self._pending, []
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
        ids = [beat.instance_id for beat in beats]
        now = db_models.utcnow()
        with db_api.writer(context) as session:
            last_seen = dict(session.execute(
                sa.select(LastSeen.instance_id, LastSeen.sent)
                .where(LastSeen.method_name == METHOD,
                       LastSeen.instance_id.in_(ids))
                .with_for_update()).all())
            accepted = [beat for beat in beats
                        if beat.sent is None
                        or beat.instance_id not in last_seen
                        or last_seen[beat.instance_id] < beat.sent]
            self.dropped += len(beats) - len(accepted)
            self._write_stamps(session, accepted, last_seen)
            self._write_statuses(session, accepted, now)
        self.written += len(accepted)

    @staticmethod
    def _write_stamps(session, accepted, last_seen):
        stamped = [beat for beat in accepted if beat.sent is not None]
        updates = [{'b_id': beat.instance_id, 'b_sent': beat.sent}
                   for beat in stamped if beat.instance_id in last_seen]
        inserts = [{'instance_id': beat.instance_id, 'method_name': METHOD,
                    'sent': beat.sent}
                   for beat in stamped if beat.instance_id not in last_seen]
        if updates:
            session.execute(
                sa.update(LastSeen.__table__)
                .where(LastSeen.__table__.c.instance_id ==
                       sa.bindparam('b_id'),
                       LastSeen.__table__.c.method_name == METHOD)
                .values(sent=sa.bindparam('b_sent')), updates)
        if inserts:
            session.execute(sa.insert(LastSeen.__table__), inserts)

    @staticmethod
    def _write_statuses(session, accepted, now):
        table = Status.__table__
        keep = table.c.status_id == _RESTART_REQUIRED
        with_status = [{'b_id': beat.instance_id, 'b_code': beat.status.code,
                        'b_text': beat.status.description, 'b_now': now}
                       for beat in accepted if beat.status is not None]
        touch_only = [{'b_id': beat.instance_id, 'b_now': now}
                      for beat in accepted if beat.status is None]
        if with_status:
            session.execute(
                sa.update(table)
                .where(table.c.instance_id == sa.bindparam('b_id'))
                .values(status_id=sa.case((keep, table.c.status_id),
                                          else_=sa.bindparam('b_code')),
                        status_description=sa.case(
                            (keep, table.c.status_description),
                            else_=sa.bindparam('b_text')),
                        updated_at=sa.bindparam('b_now')),
                with_status)
        if touch_only:
            session.execute(
                sa.update(table)
                .where(table.c.instance_id == sa.bindparam('b_id'))
                .values(updated_at=sa.bindparam('b_now')), touch_only)
