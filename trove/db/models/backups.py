"""Backups and backup strategies."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import (Base, LongText, created_column,
                                  deleted_column, id_column,
                                  updated_column)


class Backup(Base):
    __tablename__ = 'backups'
    __table_args__ = (
        # The project listing: most recently updated first.
        sa.Index('ix_backups_tenant_id_deleted_updated', 'tenant_id',
                 'deleted', 'updated'),
        # The running backups: each page of instances tells which of its
        # rows has one. PostgreSQL reads them all at once into a hash
        # (its plan for the EXISTS of a page): without this index, a scan
        # of every backup (130 ms at a million backups, on page 1 too).
        sa.Index('ix_backups_state_deleted_instance_id', 'state',
                 'deleted', 'instance_id'),
    )

    id: orm.Mapped[str] = id_column()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.String(512))
    location: orm.Mapped[str | None] = orm.mapped_column(sa.String(1024))
    backup_type: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    size: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    tenant_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    state: orm.Mapped[str] = orm.mapped_column(sa.String(32), nullable=False)
    instance_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36),
                                                            index=True)
    checksum: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    backup_timestamp: orm.Mapped[datetime.datetime | None] = (
        orm.mapped_column(sa.DateTime))
    deleted: orm.Mapped[bool] = deleted_column(index=True)
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    parent_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    datastore_version_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'))
    storage_driver: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # The backup schedule that took it (its retention may delete it).
    schedule_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36),
                                                            index=True)
    # JSON the guest reports while the backup runs: bytes written so far.
    progress: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    # The last restore drill: when it passed, its RTO, its outcome.
    last_verified_at: orm.Mapped[datetime.datetime | None] = (
        orm.mapped_column(sa.DateTime))
    last_drill_rto_s: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    last_drill_result: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(1024))
    # JSON the guest reports with the completed backup: the rows of every
    # user table then ({"method": "exact"|"estimated", "tables": {...},
    # "changed": [...], "truncated": bool}), which restore drills compare.
    row_counts: orm.Mapped[str | None] = orm.mapped_column(LongText)

    datastore_version = orm.relationship('DatastoreVersion', lazy='raise',
                                         viewonly=True)


class BackupStrategy(Base):
    """Where a project's (or one instance's) backups go by default."""

    __tablename__ = 'backup_strategy'
    __table_args__ = (
        sa.UniqueConstraint('tenant_id', 'instance_id'),
    )

    id: orm.Mapped[str] = id_column()
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   nullable=False)
    instance_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), nullable=False, default='', server_default='')
    backend: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                 nullable=False)
    swift_container: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(255))
    created: orm.Mapped[datetime.datetime | None] = created_column()
