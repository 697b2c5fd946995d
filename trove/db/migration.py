"""Schema migrations of the control database (alembic)."""

import os

from alembic import command
from alembic import config as alembic_config
from alembic import script
from alembic.runtime import migration as alembic_migration
import sqlalchemy as sa

_MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), 'migrations')


def _config(connection=None):
    config = alembic_config.Config(os.path.join(_MIGRATIONS_DIR,
                                                'alembic.ini'))
    config.set_main_option('script_location', _MIGRATIONS_DIR)
    if connection is not None:
        config.attributes['connection'] = connection
    return config


def upgrade(engine, revision='head'):
    """Bring the schema of ``engine``'s database to ``revision``."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def current_revision(engine):
    with engine.connect() as connection:
        return alembic_migration.MigrationContext.configure(
            connection).get_current_revision()


def head_revision():
    return script.ScriptDirectory.from_config(_config()).get_current_head()


def db_sync(connection_url):
    engine = sa.create_engine(connection_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
