"""Replication sets in the control DB, as automatic failover reads and
changes them: the failover settings of a primary (NULL falls back to the
[DEFAULT] options), the replication epoch every member carries (raised by
each change of source, so a member that was not told of a change knows
it is stale), and when the set last failed over (anti-flapping).
"""

import datetime

import sqlalchemy as sa

from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

Row = db_models.Instance

MODES = ('async', 'sync')


def failover_settings(row):
    """(auto_failover, replication_mode) of a primary's row, defaults
    applied."""
    auto = row.auto_failover
    mode = row.replication_mode
    return (CONF.auto_failover if auto is None else bool(auto),
            mode or CONF.replication_mode)


def mode_of(context, instance_id):
    """The replication mode of a primary, default applied."""
    with db_api.reader(context) as session:
        mode = session.query(Row.replication_mode).filter(
            Row.id == instance_id).scalar()
    return mode or CONF.replication_mode


def set_settings(context, instance_id, **values):
    """Record ``auto_failover`` and/or ``replication_mode`` of a primary."""
    values = {k: v for k, v in values.items()
              if k in ('auto_failover', 'replication_mode')}
    if not values:
        return
    values['updated'] = db_models.utcnow()
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == instance_id)
                        .values(**values))


def members(context, primary_id):
    """Ids of a primary's live replicas, oldest first."""
    with db_api.reader(context) as session:
        return [row_id for (row_id,) in session.query(Row.id).filter(
            Row.slave_of_id == primary_id, Row.deleted == sa.false())
            .order_by(Row.created, Row.id)]


def watched_sources(context):
    """Rows of the live primaries automatic failover watches: with
    replicas, and auto_failover on (or NULL with the option on)."""
    replica = sa.orm.aliased(Row)
    has_replicas = sa.exists().where(replica.slave_of_id == Row.id,
                                     replica.deleted == sa.false())
    wanted = Row.auto_failover == sa.true()
    if CONF.auto_failover:
        wanted = sa.or_(wanted, Row.auto_failover.is_(None))
    with db_api.reader(context) as session:
        rows = session.query(Row).options(
            sa.orm.joinedload(Row.datastore_version)).filter(
            Row.deleted == sa.false(), Row.slave_of_id.is_(None),
            Row.compute_instance_id.isnot(None), wanted,
            has_replicas).all()
        for row in rows:
            session.expunge(row)
        return rows


def epoch_of(context, instance_id):
    with db_api.reader(context) as session:
        return session.query(Row.replication_epoch).filter(
            Row.id == instance_id).scalar() or 0


def record_change_of_source(context, new_source_id, member_ids,
                            failover=False, settings_from=None):
    """After a change of source: every member (the new source and
    ``member_ids``) gets the next epoch; with ``settings_from`` the
    failover settings move from the old primary to the new one; with
    ``failover`` the set's failover time is recorded. Returns the new
    epoch."""
    ids = [new_source_id] + [m for m in member_ids if m != new_source_id]
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        current = session.query(sa.func.max(Row.replication_epoch)).filter(
            Row.id.in_(ids + ([settings_from] if settings_from else [])))\
            .scalar() or 0
        epoch = current + 1
        values = {'replication_epoch': epoch, 'updated': now}
        if failover:
            values['failover_at'] = now
        session.execute(sa.update(Row).where(Row.id.in_(ids))
                        .values(**values))
        if settings_from and settings_from != new_source_id:
            old = session.get(Row, settings_from)
            session.execute(sa.update(Row).where(Row.id == new_source_id)
                            .values(auto_failover=old.auto_failover,
                                    replication_mode=old.replication_mode))
            session.execute(sa.update(Row).where(Row.id == settings_from)
                            .values(auto_failover=None,
                                    replication_mode=None,
                                    failover_at=now if failover else
                                    old.failover_at))
    return epoch


def blocked_until(row):
    """When the anti-flapping block of a set whose primary is ``row``
    ends (None: not blocked)."""
    if row.failover_at is None or not CONF.failover_block_seconds:
        return None
    end = row.failover_at + datetime.timedelta(
        seconds=CONF.failover_block_seconds)
    return end if end > db_models.utcnow() else None


def set_fenced(context, instance_id, epoch):
    """Mark a failed primary fenced in ``epoch`` (None: not fenced)."""
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == instance_id)
                        .values(fenced_epoch=epoch,
                                updated=db_models.utcnow()))


def rejoined(context, instance_id, epoch):
    """A fenced former primary replicates again, in ``epoch``."""
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == instance_id)
                        .values(fenced_epoch=None, replication_epoch=epoch,
                                updated=db_models.utcnow()))


def standing(context, instance_id):
    """What a (re)starting guest must know before it starts its engine:
    whether it is fenced (a failed primary replaced in a later epoch),
    its epoch and its source, if any."""
    with db_api.reader(context) as session:
        row = session.get(Row, instance_id)
        if row is None or row.deleted:
            return {'fenced': False, 'epoch': 0, 'source_id': None}
        mode = None
        if row.fenced_epoch is not None:
            # The mode of the set it was fenced from: its new primary's.
            mode = session.query(Row.replication_mode).filter(
                Row.replication_epoch == row.fenced_epoch,
                Row.slave_of_id.is_(None), Row.id != instance_id,
                Row.deleted == sa.false()).limit(1).scalar()
            mode = mode or CONF.replication_mode
        return {'fenced': row.fenced_epoch is not None, 'mode': mode,
                'epoch': row.replication_epoch or 0,
                'fenced_epoch': row.fenced_epoch,
                'source_id': row.slave_of_id}
