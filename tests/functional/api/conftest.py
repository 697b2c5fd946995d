"""Fixtures of the API tests: a seeded control database and the API
application on it, in this process."""

import pytest

from tests.functional.api import app as api_app
from tests.functional.api import seed


@pytest.fixture
def seeded_db(tmp_path):
    """A migrated SQLite control database holding ``seed.SEED``."""
    url = 'sqlite:///%s' % (tmp_path / 'trove.sqlite')
    api_app.migrate(url)
    ids = seed.seed_database(url)
    return url, ids


@pytest.fixture
def api(seeded_db, tmp_path):
    url, _ids = seeded_db
    with api_app.in_process_api(url, tmp_path) as api:
        yield api


@pytest.fixture
def ids(seeded_db):
    return seeded_db[1]
