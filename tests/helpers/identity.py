"""A real Keystone for the tests, started once per test session.

The fixture ``keystone_server`` runs trove.localenv.keystone's server on a
free loopback port with its state in a 0755 temp dir, bootstraps the Trove
projects and users, and stops the server by pid at the end of the session.
The Keystone virtualenv is installed on first use (about 30 s, once per
machine; see TROVE_KEYSTONE_VENV).
"""

import dataclasses
import os
import secrets
import shutil
import tempfile

import pytest

from tests.helpers import ports
from trove.localenv import keystone


@dataclasses.dataclass
class KeystoneFixture:
    server: keystone.KeystoneServer
    identity: keystone.IdentityEnvironment

    @property
    def auth_url(self):
        return self.server.auth_url

    def token(self, user='alice'):
        """A token of a bootstrapped user scoped to that user's project."""
        credentials = self.identity.users.get(user)
        if credentials is None and user == 'trove':
            credentials = self.identity.service
        if credentials is None and user == 'admin':
            credentials = self.identity.admin
        return keystone.authenticate(self.auth_url, credentials.username,
                                     credentials.password,
                                     credentials.project_name)

    def register_trove(self, url_template):
        """Point the catalog's database endpoints at a running trove-api."""
        self.server.register_endpoint('trove', 'database', url_template)
        self.identity.endpoints['database'] = url_template


def start_keystone(base_dir):
    # A password beginning with '-', as secrets.token_urlsafe gives one
    # time in 64, must still reach keystone-manage as a value.
    server = keystone.KeystoneServer(os.path.join(base_dir, 'keystone'),
                                     ports.free_port(),
                                     admin_password='-' + secrets.token_urlsafe(12))
    server.setup()
    server.start()
    try:
        # Nothing serves the database endpoint until a test starts a
        # trove-api and calls register_trove.
        identity = server.bootstrap_trove(
            'http://127.0.0.1:%d/v1.0/$(tenant_id)s' % ports.free_port())
    except Exception:
        server.stop()
        raise
    return KeystoneFixture(server, identity)


def world_readable_temp_dir(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    return path


@pytest.fixture(scope='session')
def keystone_server():
    base_dir = world_readable_temp_dir('trove-keystone-')
    fixture = None
    try:
        fixture = start_keystone(base_dir)
        yield fixture
    finally:
        if fixture is not None:
            fixture.server.stop()
        shutil.rmtree(base_dir, ignore_errors=True)
