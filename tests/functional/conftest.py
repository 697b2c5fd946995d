"""Fixtures shared by the functional tests of the control database."""

import pytest

from tests.functional.api import app as api_app
from trove.db import api as db_api


@pytest.fixture
def db(control_db_url):
    """A migrated control database the facade points at; reset after."""
    api_app.migrate(control_db_url)
    db_api.configure(control_db_url)
    yield control_db_url
    db_api.configure()
