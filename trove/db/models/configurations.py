"""Configuration groups and their values."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import (Base, created_column, deleted_column,
                                  id_column, updated_column)


class Configuration(Base):
    __tablename__ = 'configurations'
    __table_args__ = (
        sa.Index('ix_configurations_tenant_id_deleted', 'tenant_id',
                 'deleted'),
    )

    id: orm.Mapped[str] = id_column()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(64), nullable=False)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.String(256))
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   nullable=False)
    datastore_version_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'),
        nullable=False)
    deleted: orm.Mapped[bool] = deleted_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()

    datastore_version = orm.relationship('DatastoreVersion', lazy='raise',
                                         viewonly=True)
    items: orm.Mapped[list[ConfigurationParameter]] = orm.relationship(
        primaryjoin='and_(Configuration.id == '
                    'ConfigurationParameter.configuration_id, '
                    'ConfigurationParameter.deleted == false())',
        lazy='raise', viewonly=True)


class ConfigurationParameter(Base):
    """One key = value of a configuration group."""

    __tablename__ = 'configuration_parameters'

    configuration_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('configurations.id'), primary_key=True)
    configuration_key: orm.Mapped[str] = orm.mapped_column(
        sa.String(128), primary_key=True)
    configuration_value: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(128))
    deleted: orm.Mapped[bool] = deleted_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
