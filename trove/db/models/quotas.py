"""Quota limits, usage and reservations."""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import (Base, created_column, id_column,
                                  updated_column)


class Quota(Base):
    """A project's own limit for a resource (absent: the default)."""

    __tablename__ = 'quotas'
    __table_args__ = (sa.UniqueConstraint('tenant_id', 'resource'),)

    id: orm.Mapped[str] = id_column()
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   nullable=False)
    resource: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                  nullable=False)
    hard_limit: orm.Mapped[int] = orm.mapped_column(sa.Integer,
                                                    nullable=False)


class QuotaUsage(Base):
    __tablename__ = 'quota_usages'
    __table_args__ = (sa.UniqueConstraint('tenant_id', 'resource'),)

    id: orm.Mapped[str] = id_column()
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   nullable=False)
    in_use: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False,
                                                default=0)
    reserved: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False,
                                                  default=0)
    resource: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                  nullable=False)


class Reservation(Base):
    __tablename__ = 'reservations'

    id: orm.Mapped[str] = id_column()
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    usage_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                  nullable=False)
    delta: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                nullable=False)
