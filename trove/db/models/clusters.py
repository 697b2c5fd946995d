"""Clusters of instances."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import (Base, created_column, deleted_column,
                                  id_column, updated_column)


class Cluster(Base):
    __tablename__ = 'clusters'

    id: orm.Mapped[str] = id_column()
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    task_id: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    task_start_time: orm.Mapped[datetime.datetime | None] = \
        orm.mapped_column(sa.DateTime)
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   nullable=False, index=True)
    datastore_version_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'),
        nullable=False)
    deleted: orm.Mapped[bool] = deleted_column(index=True)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    configuration_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('configurations.id'))
    locality: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    datastore_version = orm.relationship('DatastoreVersion', lazy='raise',
                                         viewonly=True)
