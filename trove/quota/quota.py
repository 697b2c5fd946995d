"""Quotas: how much of each resource a project may use, and its usage.

Limits are per-project overrides in ``quotas`` or the ``max_*_per_tenant``
defaults. Usage is ``in_use`` plus ``reserved`` in ``quota_usages``.

A change is reserved first (checked against the limit and added to
``reserved``), then committed (moved to ``in_use``) once the work it pays
for is under way, or rolled back. The check and the reservation are one
conditional UPDATE per resource, so concurrent requests (several API
workers) can never overshoot a limit, on any database backend.
"""

import contextlib

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exception
from oslo_log import log as logging
import sqlalchemy as sa

from trove.common import exception
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)

RESOURCES = ('instances', 'ram', 'volumes', 'backups')

_DEFAULT_OPTIONS = {
    'instances': 'max_instances_per_tenant',
    'ram': 'max_ram_per_tenant',
    'volumes': 'max_volumes_per_tenant',
    'backups': 'max_backups_per_tenant',
}

RESERVED = 'Reserved'
COMMITTED = 'Committed'
ROLLED_BACK = 'Rolled Back'

Usage = db_models.QuotaUsage

# Width of the tenant_id columns.
MAX_PROJECT_ID_LENGTH = 36


# InnoDB may pick a transaction of a concurrent pair as a deadlock victim
# even when locks are taken in one order; its work is undone, so it is
# safe to run again.
_retry_on_deadlock = oslo_db_api.wrap_db_retry(
    max_retries=10, retry_on_deadlock=True, retry_interval=0.05,
    inc_retry_interval=True, max_retry_interval=1)


def default_limits():
    return {resource: getattr(CONF, option)
            for resource, option in _DEFAULT_OPTIONS.items()}


def check_resources(resources):
    """QuotaResourceUnknown (404) unless every name is a quota resource."""
    unknown = sorted(set(resources) - set(RESOURCES))
    if unknown:
        raise exception.QuotaResourceUnknown(unknown=unknown)


def get_limits(context, tenant_id):
    """Effective hard limit of each resource for a project."""
    limits = default_limits()
    with db_api.reader(context) as session:
        rows = session.query(db_models.Quota).filter_by(
            tenant_id=tenant_id).all()
    for row in rows:
        if row.resource in limits:
            limits[row.resource] = row.hard_limit
    return limits


def get_usages(context, tenant_id):
    """{resource: (in_use, reserved)} of a project."""
    usages = {resource: (0, 0) for resource in RESOURCES}
    with db_api.reader(context) as session:
        for row in session.query(Usage).filter_by(tenant_id=tenant_id):
            usages[row.resource] = (row.in_use, row.reserved)
    return usages


def set_limits(context, tenant_id, limits):
    """Store per-project limits; None values are skipped."""
    limits = {k: v for k, v in limits.items() if v is not None}
    check_resources(limits)
    for resource, limit in limits.items():
        if limit < -1:
            raise exception.BadRequest(
                'Quota limit of %s must be -1 (unlimited) or more.'
                % resource)
    if len(tenant_id) > MAX_PROJECT_ID_LENGTH:
        raise exception.BadRequest('Project id %s is too long.' % tenant_id)
    try:
        _store_limits(context, tenant_id, limits)
    except db_exception.DBDuplicateEntry:
        # A concurrent update created the row first; now it exists.
        _store_limits(context, tenant_id, limits)
    return get_limits(context, tenant_id)


def _store_limits(context, tenant_id, limits):
    with db_api.writer(context) as session:
        for resource, limit in limits.items():
            row = session.query(db_models.Quota).filter_by(
                tenant_id=tenant_id, resource=resource).first()
            if row is None:
                session.add(db_models.Quota(tenant_id=tenant_id,
                                            resource=resource,
                                            hard_limit=limit))
            else:
                row.hard_limit = limit


def _ensure_usage_rows(context, tenant_id, resources):
    """Create missing usage rows (0/0); concurrent creators may race."""
    with db_api.reader(context) as session:
        existing = {r for (r,) in session.query(Usage.resource).filter(
            Usage.tenant_id == tenant_id, Usage.resource.in_(resources))}
    for resource in set(resources) - existing:
        try:
            with db_api.writer(context) as session:
                session.add(Usage(tenant_id=tenant_id, resource=resource,
                                  in_use=0, reserved=0))
        except (db_exception.DBDuplicateEntry, db_exception.DBDeadlock):
            # Another request created it (InnoDB may report the loser of
            # two inserts of one key as a deadlock victim).
            pass


class Reservation:
    """Reserved deltas of one request; commit or roll back exactly once."""

    def __init__(self, context, tenant_id, reservation_ids):
        self.context = context
        self.tenant_id = tenant_id
        self.reservation_ids = reservation_ids
        self.done = False

    def commit(self):
        self._finish(COMMITTED)

    def rollback(self):
        self._finish(ROLLED_BACK)

    def _finish(self, status):
        if self.done:
            return
        self.done = True
        if self.reservation_ids:
            _finish_reservations(self.context, self.reservation_ids, status)


@_retry_on_deadlock
def _finish_reservations(context, reservation_ids, status):
    Row = db_models.Reservation
    with db_api.writer(context) as session:
        # Usage rows are locked in resource order, as reserve() does, so
        # two requests never wait for each other in a cycle.
        reservations = (session.query(Row)
                        .join(Usage, Usage.id == Row.usage_id)
                        .filter(Row.id.in_(reservation_ids),
                                Row.status == RESERVED)
                        .order_by(Usage.resource).all())
        for reservation in reservations:
            values = {'reserved': Usage.reserved - reservation.delta}
            if status == COMMITTED:
                new_in_use = Usage.in_use + reservation.delta
                values['in_use'] = sa.case((new_in_use < 0, 0),
                                           else_=new_in_use)
            session.execute(sa.update(Usage).where(
                Usage.id == reservation.usage_id).values(**values))
            reservation.status = status


def reserve(context, tenant_id, deltas):
    """Reserve ``deltas`` ({resource: amount}); QuotaExceeded (413) if a
    positive delta does not fit its limit."""
    deltas = {k: int(v) for k, v in deltas.items() if v}
    check_resources(deltas)
    if not deltas:
        return Reservation(context, tenant_id, [])
    limits = get_limits(context, tenant_id)
    _ensure_usage_rows(context, tenant_id, deltas)
    try:
        reservation_ids = _reserve_rows(context, tenant_id, deltas, limits)
    except exception.QuotaExceeded as error:
        LOG.info('Project %s: %s', tenant_id, error)
        raise
    return Reservation(context, tenant_id, reservation_ids)


@_retry_on_deadlock
def _reserve_rows(context, tenant_id, deltas, limits):
    """One transaction: check and reserve every delta, or none."""
    overs = []
    reservation_ids = []
    with db_api.writer(context) as session:
        for resource, delta in sorted(deltas.items()):
            query = sa.update(Usage).where(Usage.tenant_id == tenant_id,
                                           Usage.resource == resource)
            limit = limits[resource]
            if delta > 0 and limit >= 0:
                query = query.where(
                    Usage.in_use + Usage.reserved + delta <= limit)
            updated = session.execute(
                query.values(reserved=Usage.reserved + delta)).rowcount
            if not updated:
                overs.append(resource)
                continue
            usage_id = session.query(Usage.id).filter_by(
                tenant_id=tenant_id, resource=resource).scalar()
            row = db_models.Reservation(usage_id=usage_id, delta=delta,
                                        status=RESERVED)
            session.add(row)
            session.flush()
            reservation_ids.append(row.id)
        if overs:
            # Raising inside the transaction undoes what it reserved.
            raise exception.QuotaExceeded(overs=sorted(overs))
    return reservation_ids


@contextlib.contextmanager
def reserved(context, tenant_id, deltas):
    """Reserve, run the block, then commit; roll back if it raises."""
    reservation = reserve(context, tenant_id, deltas)
    try:
        yield reservation
    except BaseException:
        reservation.rollback()
        raise
    reservation.commit()
