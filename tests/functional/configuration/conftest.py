"""Fixtures of the configuration group tests: the seeded API of
tests/functional/api with the generated parameter rules loaded, and the
real conductor of the guest agent tests."""

import json
import pathlib

import pytest

from tests.functional.api import app as api_app
from tests.functional.api import seed
from tests.functional.guestagent.conftest import conductor  # noqa: F401
from trove.datastore import parameters as datastore_parameters
from trove.common import context as trove_context
from trove.db import api as db_api

RULES_DIR = pathlib.Path(__file__).resolve().parents[3] / 'trove' / \
    'templates'


def load_rules(datastore):
    with open(RULES_DIR / datastore / 'validation-rules.json') as rules:
        return json.load(rules)


@pytest.fixture
def rules_db(tmp_path):
    """The seeded control database, with the generated rules of MariaDB
    and PostgreSQL loaded into their versions."""
    url = 'sqlite:///%s' % (tmp_path / 'trove.sqlite')
    api_app.migrate(url)
    ids = seed.seed_database(url)
    db_api.configure(url)
    try:
        context = trove_context.get_admin_context()
        for datastore in ('mariadb', 'postgresql'):
            datastore_parameters.load_parameters(
                context, ids[datastore + '-version'], load_rules(datastore))
    finally:
        db_api.configure()
    return url, ids


@pytest.fixture
def api(rules_db, tmp_path):
    url, _ids = rules_db
    with api_app.in_process_api(url, tmp_path) as api:
        yield api


@pytest.fixture
def ids(rules_db):
    return rules_db[1]
