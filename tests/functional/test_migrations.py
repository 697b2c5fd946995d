"""The migrations build exactly the models' schema on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
import sqlalchemy as sa

from trove.db import migration
from trove.db import models


def test_upgrade_to_head_matches_models(control_db_url):
    engine = sa.create_engine(control_db_url)
    try:
        migration.upgrade(engine)
        assert migration.current_revision(engine) == \
            migration.head_revision()
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection),
                                    models.Base.metadata)
        assert diff == []
        tables = set(sa.inspect(engine).get_table_names())
        assert set(models.Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(control_db_url):
    engine = sa.create_engine(control_db_url)
    try:
        migration.upgrade(engine)
        migration.upgrade(engine)
        assert migration.current_revision(engine) == \
            migration.head_revision()
    finally:
        engine.dispose()
