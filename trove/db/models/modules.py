"""Guest modules and where they are applied."""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import (Base, LongText, created_column,
                                  deleted_column, id_column, updated_column)


class Module(Base):
    __tablename__ = 'modules'
    __table_args__ = (
        sa.UniqueConstraint('type', 'tenant_id', 'datastore_id',
                            'datastore_version_id', 'name', 'deleted_at',
                            name='uq_modules_type_tenant_datastore_name'),
    )

    id: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    type: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    contents: orm.Mapped[str] = orm.mapped_column(LongText, nullable=False)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    tenant_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    datastore_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    datastore_version_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(64))
    auto_apply: orm.Mapped[bool] = orm.mapped_column(sa.Boolean,
                                                     default=False)
    visible: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)
    live_update: orm.Mapped[bool] = orm.mapped_column(sa.Boolean,
                                                      default=False)
    md5: orm.Mapped[str] = orm.mapped_column(sa.String(32), nullable=False)
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    deleted: orm.Mapped[bool] = deleted_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    priority_apply: orm.Mapped[bool] = orm.mapped_column(sa.Boolean,
                                                         default=False)
    apply_order: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=5)
    is_admin: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)


class InstanceModule(Base):
    __tablename__ = 'instance_modules'

    id: orm.Mapped[str] = id_column()
    instance_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('instances.id', ondelete='CASCADE'),
        nullable=False)
    module_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(64), sa.ForeignKey('modules.id', ondelete='CASCADE'),
        nullable=False)
    md5: orm.Mapped[str] = orm.mapped_column(sa.String(32), nullable=False)
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    deleted: orm.Mapped[bool] = deleted_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
