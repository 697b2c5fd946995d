"""Volume types of providers that have no Cinder (the local provider),
defined by operators with ``trove-manage volume_type_*``."""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import Base, created_column, updated_column


class VolumeType(Base):
    __tablename__ = 'volume_types'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False,
                                              unique=True)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
