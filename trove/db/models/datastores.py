"""Datastores, their versions and the rules of their configuration."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import (Base, created_column, deleted_column,
                                  id_column)


class Datastore(Base):
    __tablename__ = 'datastores'

    id: orm.Mapped[str] = id_column()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True,
                                              nullable=False)
    default_version_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36))

    versions: orm.Mapped[list[DatastoreVersion]] = orm.relationship(
        back_populates='datastore', lazy='raise',
        order_by='DatastoreVersion.name')


class DatastoreVersion(Base):
    __tablename__ = 'datastore_versions'
    __table_args__ = (
        sa.UniqueConstraint('datastore_id', 'name', 'version'),
    )

    id: orm.Mapped[str] = id_column()
    datastore_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastores.id'), nullable=False)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    image_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    image_tags: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    packages: orm.Mapped[str | None] = orm.mapped_column(sa.String(511))
    active: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, nullable=False,
                                                 default=True)
    manager: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    version: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    registry_ext: orm.Mapped[str] = orm.mapped_column(sa.Text,
                                                      nullable=False)
    repl_strategy: orm.Mapped[str] = orm.mapped_column(sa.Text,
                                                       nullable=False)

    datastore: orm.Mapped[Datastore] = orm.relationship(
        back_populates='versions', lazy='raise')


class DatastoreVersionMetadata(Base):
    """Flavors and volume types a datastore version is restricted to."""

    __tablename__ = 'datastore_version_metadata'
    __table_args__ = (
        sa.UniqueConstraint('datastore_version_id', 'key', 'value'),
    )

    id: orm.Mapped[str] = id_column()
    datastore_version_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36),
        sa.ForeignKey('datastore_versions.id', ondelete='CASCADE'),
        nullable=False)
    key: orm.Mapped[str] = orm.mapped_column(sa.String(128), nullable=False)
    value: orm.Mapped[str | None] = orm.mapped_column(sa.String(128))
    created: orm.Mapped[datetime.datetime | None] = created_column()
    deleted: orm.Mapped[bool] = deleted_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)


class DatastoreConfigurationParameter(Base):
    """A parameter tenants may set, with its type and bounds."""

    __tablename__ = 'datastore_configuration_parameters'
    __table_args__ = (
        sa.UniqueConstraint('datastore_version_id', 'name'),
    )

    id: orm.Mapped[str] = id_column()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(128), nullable=False)
    datastore_version_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'),
        nullable=False)
    restart_required: orm.Mapped[bool] = orm.mapped_column(
        sa.Boolean, nullable=False, default=False)
    max_size: orm.Mapped[str | None] = orm.mapped_column(sa.String(40))
    min_size: orm.Mapped[str | None] = orm.mapped_column(sa.String(40))
    data_type: orm.Mapped[str] = orm.mapped_column(sa.String(128),
                                                   nullable=False)
    # JSON {"values": [...], "multiple": bool} of enum/set parameters.
    allowed_values: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    deleted: orm.Mapped[bool] = deleted_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
