"""Alembic environment: runs migrations on the connection given by
trove.db.migration (trove-manage db_sync), or on sqlalchemy.url."""

from alembic import context
import sqlalchemy as sa

from trove.db import models

target_metadata = models.Base.metadata


def run_migrations_online():
    connection = context.config.attributes.get('connection')
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(context.config.get_main_option('sqlalchemy.url'))
    with engine.connect() as connection:
        _run(connection)


def _run(connection):
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == 'sqlite')
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
