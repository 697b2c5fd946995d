"""The event log of instances and the backup schedules."""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import (Base, created_column, deleted_column,
                                  id_column, updated_column)

# An increasing integer id orders the events of an instance exactly (two
# events may share a timestamp); SQLite only autoincrements INTEGER.
EventId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


class InstanceEvent(Base):
    """Something that happened to an instance, for its event log: a task
    starting or ending, a fault, heartbeat expiry or recovery, a backup,
    a configuration change. Not deleted with the instance (history);
    removed after ``instance_events_max_age_days``."""

    __tablename__ = 'instance_events'
    __table_args__ = (
        sa.Index('ix_instance_events_instance_id_id', 'instance_id', 'id'),
        sa.Index('ix_instance_events_created', 'created'),
    )

    id: orm.Mapped[int] = orm.mapped_column(EventId, primary_key=True,
                                            autoincrement=True)
    instance_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                     nullable=False)
    created: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, nullable=False)
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(32), nullable=False)
    actor: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                               nullable=False)
    message: orm.Mapped[str] = orm.mapped_column(sa.Text, nullable=False)
    request_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))


class BackupSchedule(Base):
    """Backups of an instance taken on a cron expression or an interval,
    with a full/incremental pattern and a retention of whole chains; or
    (``action`` "drill") restore drills of its latest backup on one."""

    __tablename__ = 'backup_schedules'
    __table_args__ = (
        sa.Index('ix_backup_schedules_deleted_next_run_at', 'deleted',
                 'next_run_at'),
    )

    id: orm.Mapped[str] = id_column()
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   nullable=False)
    instance_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), nullable=False, index=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.String(512))
    # "backup" takes backups; "drill" runs restore drills of the
    # instance's latest backup (migration 0014).
    action: orm.Mapped[str] = orm.mapped_column(
        sa.String(16), nullable=False, default='backup',
        server_default='backup')
    cron: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    interval_s: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    # Every full_every-th backup is a full one; the others are
    # incremental on the one before.
    full_every: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, nullable=False, default=1, server_default='1')
    retain_count: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    retain_days: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    storage_driver: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    swift_container: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(255))
    runs: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, nullable=False, default=0, server_default='0')
    next_run_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, nullable=False)
    last_run_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    last_backup_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    last_result: orm.Mapped[str | None] = orm.mapped_column(sa.String(512))
    # A drill schedule's check query, its database, "latest" to drill the
    # end of the restorable window, and the drill it started last.
    drill_query: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    drill_database: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(255))
    drill_restore_time: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(64))
    last_drill_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    deleted: orm.Mapped[bool] = deleted_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)


class BackupDrill(Base):
    """A restore drill of a backup: a sandbox instance restored from it,
    checked, timed (the RTO) and deleted. See trove.backup.drills."""

    __tablename__ = 'backup_drills'
    __table_args__ = (
        sa.Index('ix_backup_drills_state', 'state'),
    )

    id: orm.Mapped[str] = id_column()
    backup_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   nullable=False,
                                                   index=True)
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   nullable=False)
    # The instance the backup was taken of (its event log tells).
    instance_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    sandbox_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    state: orm.Mapped[str] = orm.mapped_column(sa.String(16),
                                               nullable=False)
    started_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    ready_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    rto_s: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    result: orm.Mapped[str | None] = orm.mapped_column(sa.String(1024))
    # The user's check query (a SELECT run on the sandbox) and the database
    # it runs in.
    check_query: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    check_database: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(255))
    # A drill of a point in time: the restoreTime (ISO 8601 or "latest")
    # the backup is rolled forward to in the sandbox.
    restore_time: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    # The schedule that started the drill, if one did.
    schedule_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
