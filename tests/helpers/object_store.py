"""A real one-node Swift for the tests, started once per test session.

``swift_server`` uses tempauth (users ``admin:admin`` and ``trove:backup``);
``swift_server_with_keystone`` validates Keystone tokens of the
``keystone_server`` fixture and is registered in its catalog as the
object-store service. Every process is stopped by pid at the end of the
session. The Swift virtualenv is installed on first use (about 15 s, once
per machine; see TROVE_SWIFT_VENV).
"""

import dataclasses
import os
import shutil

import pytest

from tests.helpers import identity, ports
from trove.localenv import swift


@dataclasses.dataclass
class SwiftFixture:
    server: swift.SwiftServer

    @property
    def url(self):
        return self.server.url

    def storage_url(self, account):
        return self.server.storage_url(account)

    def tempauth_connection(self, user='trove:backup'):
        """A python-swiftclient connection with tempauth credentials."""
        import swiftclient
        return swiftclient.Connection(
            authurl=self.server.auth_url, user=user,
            key=self.server.tempauth_users[user], auth_version='1',
            retries=0)


def start_swift(base_dir, keystone_identity=None):
    server = swift.SwiftServer(os.path.join(base_dir, 'swift'),
                               ports.free_port(), keystone=keystone_identity)
    server.setup()
    server.start()
    return SwiftFixture(server)


def _serve(keystone_fixture=None):
    base_dir = identity.world_readable_temp_dir('trove-swift-')
    fixture = None
    try:
        fixture = start_swift(
            base_dir, keystone_fixture.identity if keystone_fixture else None)
        if keystone_fixture is not None:
            keystone_fixture.server.register_endpoint(
                'swift', 'object-store', fixture.server.url_template)
            keystone_fixture.identity.endpoints['object-store'] = \
                fixture.server.url_template
        yield fixture
    finally:
        if fixture is not None:
            fixture.server.stop()
        shutil.rmtree(base_dir, ignore_errors=True)


@pytest.fixture(scope='session')
def swift_server():
    yield from _serve()


@pytest.fixture(scope='session')
def swift_server_with_keystone(keystone_server):
    yield from _serve(keystone_server)
