"""Flavors of providers that have no Nova (the local provider)."""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import Base, created_column, updated_column


class Flavor(Base):
    __tablename__ = 'flavors'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False,
                                              unique=True)
    ram: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    vcpus: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    disk: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    ephemeral: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, nullable=False, default=0, server_default='0')
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
