"""Work claims: durable, leased ownership of the work on a resource.

One row per resource (instance, backup, cluster) says which flow is due
on it and which taskmanager runs it, until when. It replaces a lock in
one taskmanager's memory, so any number of taskmanagers can share the
work and a dead one's work is taken over (Ironic's node reservation is
the model):

* The API ``submit``s the flow in the same transaction that records the
  task, so work can never be asked for without being recorded.
* A taskmanager ``claim``s it: a conditional UPDATE that succeeds only
  for the flow that is due and when nobody else holds a live lease. A
  cast about a resource with no due work (unknown, finished, or taken
  over) claims nothing and builds nothing.
* While it works, the taskmanager ``renew``s every lease it holds in one
  statement and marks each finished step with ``checkpoint``; a
  checkpoint of a claim that was superseded (a delete submitted while a
  build runs) or taken over raises ``ClaimLost``.
* ``release`` ends the work: the row goes away, or, if another flow was
  submitted meanwhile, is left unowned for that flow's taskmanager.
* The sweep finds work whose lease passed (``expired``) and claims it to
  resume it or end it with a fault.

Periodic checks use the same table (``periodic_turn``): one taskmanager
of the deployment runs each check per interval.

This module never starts flows; trove.taskmanager does.
"""

import dataclasses
import datetime
import json
import os
import socket
import time
import uuid

import sqlalchemy as sa
from oslo_db import exception as db_exception
from oslo_log import log as logging

from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)

Row = db_models.WorkClaim
PERIODIC = 'periodic'


class ClaimLost(Exception):
    """The work was superseded or taken over: stop without recording."""


def process_owner():
    """This process's name as a claim owner: host, pid and a nonce (a
    restarted process with a recycled pid is another owner)."""
    return '%s:%d:%s' % (socket.gethostname(), os.getpid(),
                         uuid.uuid4().hex[:8])


OWNER = process_owner()


@dataclasses.dataclass
class Claim:
    resource_id: str
    resource_type: str
    flow: str
    step: str | None
    owner: str | None
    lease_expires: datetime.datetime
    args: dict
    state: dict
    request_id: str | None
    attempts: int

    @classmethod
    def from_row(cls, row):
        return cls(resource_id=row.resource_id,
                   resource_type=row.resource_type, flow=row.flow,
                   step=row.step, owner=row.owner,
                   lease_expires=row.lease_expires,
                   args=_loads(row.args), state=_loads(row.state),
                   request_id=row.request_id, attempts=row.attempts or 0)


def _loads(text):
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {}


def _now():
    return db_models.utcnow()


def _after(seconds):
    return _now() + datetime.timedelta(seconds=seconds)


# API side -----------------------------------------------------------------
def submit(session, resource_id, resource_type, flow, args=None,
           request_id=None):
    """Make ``flow`` the work due on a resource, in the caller's
    transaction. An owner still working on an earlier flow keeps its
    lease (it sees the change at its next step and stops); otherwise any
    taskmanager may claim the work within ``work_pickup_timeout``."""
    row = session.get(Row, resource_id, with_for_update=True)
    values = dict(flow=flow, step=None, state=None, attempts=0,
                  args=json.dumps(args or {}), request_id=request_id,
                  updated=_now())
    if row is None:
        session.add(Row(resource_id=resource_id, resource_type=resource_type,
                        owner=None,
                        lease_expires=_after(CONF.work_pickup_timeout),
                        created=_now(), **values))
        return
    for name, value in values.items():
        setattr(row, name, value)
    if row.owner is None or row.lease_expires < _now():
        row.owner = None
        row.lease_expires = _after(CONF.work_pickup_timeout)


def submit_now(context, resource_id, resource_type, flow, args=None):
    """``submit`` in a transaction of its own."""
    with db_api.writer(context) as session:
        submit(session, resource_id, resource_type, flow, args=args,
               request_id=getattr(context, 'request_id', None))


# Taskmanager side -----------------------------------------------------------
def _claim_once(context, resource_id, flow, owner):
    now = _now()
    with db_api.writer(context) as session:
        changed = session.execute(
            sa.update(Row)
            .where(Row.resource_id == resource_id, Row.flow == flow,
                   sa.or_(Row.owner.is_(None), Row.owner == owner,
                          Row.lease_expires < now))
            .values(owner=owner,
                    lease_expires=now + datetime.timedelta(
                        seconds=CONF.work_claim_lease),
                    attempts=Row.attempts + 1, updated=now)).rowcount
        if changed:
            return Claim.from_row(session.get(Row, resource_id)), None
        return None, session.get(Row, resource_id)


def claim(context, resource_id, flow, owner=None, wait=0.0):
    """Take the work ``flow`` on a resource; None when that work is not
    due (an unknown resource, work already done or superseded) or another
    live owner keeps it beyond ``wait`` seconds."""
    owner = owner or OWNER
    deadline = time.monotonic() + wait
    while True:
        taken, row = _claim_once(context, resource_id, flow, owner)
        if taken is not None:
            return taken
        if row is None or row.flow != flow:
            return None
        if time.monotonic() >= deadline:
            LOG.info('%s of %s is held by %s until %s', flow, resource_id,
                     row.owner, row.lease_expires)
            return None
        time.sleep(min(0.5, max(deadline - time.monotonic(), 0.01)))


def renew(context, held, owner=None):
    """Extend the leases of the work ``owner`` runs (``held``: {resource
    id: flow}); returns {resource_id: flow} of the work it still holds.
    Work superseded meanwhile (another flow submitted) is not renewed:
    if its flow never lets go, its lease runs out and the sweep takes
    the new flow over."""
    owner = owner or OWNER
    now = _now()
    by_flow = {}
    for resource_id, flow in held.items():
        by_flow.setdefault(flow, []).append(resource_id)
    with db_api.writer(context) as session:
        for flow, ids in by_flow.items():
            session.execute(
                sa.update(Row).where(Row.owner == owner, Row.flow == flow,
                                     Row.resource_id.in_(ids))
                .values(lease_expires=now + datetime.timedelta(
                    seconds=CONF.work_claim_lease)))
        return dict(session.execute(
            sa.select(Row.resource_id, Row.flow).where(
                Row.owner == owner, Row.resource_type != PERIODIC)).all())


def checkpoint(context, work, step, **state):
    """Record that ``step`` finished (and what it learned); ClaimLost if
    the work is no longer this claim's."""
    work.state.update(state)
    with db_api.writer(context) as session:
        changed = session.execute(
            sa.update(Row).where(Row.resource_id == work.resource_id,
                                 Row.owner == work.owner,
                                 Row.flow == work.flow)
            .values(step=step, state=json.dumps(work.state),
                    updated=_now())).rowcount
    if not changed:
        raise ClaimLost(work.resource_id)
    work.step = step


def note(context, resource_id, key, value, accept=None, attempts=3):
    """Add ``key`` to the state of the work due on a resource (what its
    guest reports of it, such as a restore's progress), unless a
    checkpoint wrote the state meanwhile (then try again); not when
    ``accept(previous value)`` is false. Returns (True, the previous
    value of ``key``), or (False, None) when no work is due or the value
    was not accepted."""
    for _attempt in range(attempts):
        with db_api.writer(context) as session:
            row = session.get(Row, resource_id)
            if row is None:
                return False, None
            state = _loads(row.state)
            previous = state.get(key)
            if accept is not None and not accept(previous):
                return False, None
            state[key] = value
            same = (Row.state.is_(None) if row.state is None
                    else Row.state == row.state)
            if session.execute(
                    sa.update(Row).where(Row.resource_id == resource_id,
                                         Row.flow == row.flow, same)
                    .values(state=json.dumps(state))).rowcount:
                return True, previous
    return False, None


def still_held(context, work):
    """Whether ``work`` is still this claim's (one cheap read)."""
    with db_api.reader(context) as session:
        row = session.execute(
            sa.select(Row.owner, Row.flow).where(
                Row.resource_id == work.resource_id)).first()
    return row is not None and tuple(row) == (work.owner, work.flow)


def release(context, work):
    """The flow ended: remove its work, or hand the resource to the flow
    submitted meanwhile."""
    with db_api.writer(context) as session:
        removed = session.execute(
            sa.delete(Row).where(Row.resource_id == work.resource_id,
                                 Row.owner == work.owner,
                                 Row.flow == work.flow)).rowcount
        if not removed:
            # Handed over only while nobody has claimed the new flow
            # (submit sets attempts to 0): the same taskmanager may have
            # claimed it already (a delete cast while its own build
            # runs), and that claim must not be undone.
            session.execute(
                sa.update(Row).where(Row.resource_id == work.resource_id,
                                     Row.owner == work.owner,
                                     Row.attempts == 0)
                .values(owner=None, updated=_now(),
                        lease_expires=_after(CONF.work_pickup_timeout)))


def expired(context, resource_type=None):
    """Work whose lease passed, oldest first."""
    query = sa.select(Row).where(Row.lease_expires < _now(),
                                 Row.resource_type != PERIODIC)
    if resource_type:
        query = query.where(Row.resource_type == resource_type)
    with db_api.reader(context) as session:
        return [Claim.from_row(row) for row in
                session.scalars(query.order_by(Row.lease_expires))]


def current(context, resource_id):
    """The work due on a resource, or None."""
    with db_api.reader(context) as session:
        row = session.get(Row, resource_id)
        return Claim.from_row(row) if row is not None else None


def ids_with_work(context, resource_type):
    """Ids of the resources of a type that have work due."""
    with db_api.reader(context) as session:
        return set(session.scalars(sa.select(Row.resource_id).where(
            Row.resource_type == resource_type)))


def forget(context, resource_id):
    """Drop the work on a resource whatever its state (it is gone)."""
    with db_api.writer(context) as session:
        session.execute(sa.delete(Row).where(Row.resource_id == resource_id))


# Periodic checks ------------------------------------------------------------
def periodic_turn(context, name, interval, owner=None):
    """Whether this process runs periodic check ``name`` now: at most one
    taskmanager of the deployment gets a turn per ``interval``."""
    owner = owner or OWNER
    resource_id = '%s:%s' % (PERIODIC, name)
    now = _now()
    # A little less than the interval: the next turn must be free when
    # the holder's own timer fires again.
    until = now + datetime.timedelta(seconds=interval * 0.9)
    with db_api.writer(context) as session:
        taken = session.execute(
            sa.update(Row).where(Row.resource_id == resource_id,
                                 Row.lease_expires <= now)
            .values(owner=owner, lease_expires=until, updated=now,
                    attempts=Row.attempts + 1)).rowcount
    if taken:
        return True
    try:
        with db_api.writer(context) as session:
            if session.get(Row, resource_id) is not None:
                return False
            session.add(Row(resource_id=resource_id, resource_type=PERIODIC,
                            flow=name, owner=owner, lease_expires=until,
                            attempts=1, created=now, updated=now))
        return True
    except db_exception.DBDuplicateEntry:
        return False


def leader_turn(context, name, lease, owner=None):
    """Whether this process leads ``name`` (the failover monitor) now:
    the holder renews its lease of ``lease`` seconds at every turn;
    another process takes the lead only once the lease ran out (its
    holder stopped)."""
    owner = owner or OWNER
    resource_id = '%s:%s' % (PERIODIC, name)
    now = _now()
    until = now + datetime.timedelta(seconds=lease)
    with db_api.writer(context) as session:
        taken = session.execute(
            sa.update(Row).where(Row.resource_id == resource_id,
                                 sa.or_(Row.owner == owner,
                                        Row.lease_expires <= now))
            .values(owner=owner, lease_expires=until, updated=now)).rowcount
    if taken:
        return True
    return periodic_turn(context, name, lease, owner=owner)
