"""Declarative base and column helpers shared by every table."""

import datetime
import uuid

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import mysql

NAMING_CONVENTION = {
    'ix': 'ix_%(table_name)s_%(column_0_N_name)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s',
    'pk': 'pk_%(table_name)s',
}

# MySQL's TEXT holds 64 KB; module contents and access lists may be larger.
LongText = sa.Text().with_variant(mysql.LONGTEXT(), 'mysql', 'mariadb')


def utcnow():
    """Naive UTC now: every datetime in the control DB is UTC, no zone."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def generate_uuid():
    return str(uuid.uuid4())


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def id_column():
    return orm.mapped_column(sa.String(36), primary_key=True,
                             default=generate_uuid)


def created_column():
    return orm.mapped_column(sa.DateTime, default=utcnow)


def updated_column():
    return orm.mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow)


def deleted_column(index=False):
    return orm.mapped_column(sa.Boolean, default=False, nullable=False,
                             server_default=sa.false(), index=index)
