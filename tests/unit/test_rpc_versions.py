"""[upgrade_levels] caps what the RPC clients send.

The clients run against oslo.messaging's in-memory ``fake`` driver with a
real RPC server whose endpoint records what arrived, so the version and
arguments of each message are observed, not assumed.
"""

import threading

import oslo_messaging as messaging
import pytest

from trove.common import context as trove_context
from trove.common import exception
from trove.common import rpc
from trove.common import sealed_messages
from trove.conf import CONF
from trove.guestagent import api as guest_api
from trove.taskmanager import api as taskmanager_api

INSTANCE_ID = '0b7c2c43-5b3c-4b7e-9a57-5d0e8d3d1c11'


class RecordingEndpoint:
    """Accepts any 1.x message and records (method, version, kwargs)."""

    target = messaging.Target(version='1.99')

    def __init__(self):
        self.received = []
        self.arrived = threading.Event()

    def _record(self, method, kwargs):
        self.received.append((method, kwargs))
        self.arrived.set()

    def prepare(self, context, **kwargs):
        self._record('prepare', kwargs)

    def update_configuration(self, context, **kwargs):
        self._record('update_configuration', kwargs)


@pytest.fixture
def fake_transport(monkeypatch):
    # No control DB here: the guest clients send plain messages (an
    # instance without a key), whatever database an earlier test left
    # configured.
    monkeypatch.setattr(sealed_messages, '_instance_keys', None)
    rpc.get_transport()     # registers transport_url
    rpc.cleanup()
    CONF.set_override('transport_url', 'fake:/')
    try:
        yield
    finally:
        rpc.cleanup()
        CONF.clear_override('transport_url')
        for service in ('guestagent', 'taskmanager'):
            CONF.clear_override(service, group='upgrade_levels')


def _serve(topic, server):
    endpoint = RecordingEndpoint()
    rpc_server = rpc.get_server(topic, server, [endpoint])
    rpc_server.start()
    return endpoint, rpc_server


def _stop(rpc_server):
    rpc_server.stop()
    rpc_server.wait()


def _prepare(api):
    api.prepare(memory_mb=512, packages=[], databases=[], users=[],
                device_path=None, mount_point='/var/lib/mysql',
                backup_info=None, config_contents='', root_password=None,
                overrides=None, cluster_config=None, snapshot=None,
                modules=None, ds_version='10.11')


@pytest.mark.parametrize('level,sends_ds_version', [
    ('latest', True), ('victoria', True), ('ussuri', False), ('1.0', False),
])
def test_prepare_drops_ds_version_below_1_1(fake_transport, level,
                                            sends_ds_version):
    CONF.set_override('guestagent', level, group='upgrade_levels')
    endpoint, server = _serve(guest_api.topic(INSTANCE_ID), INSTANCE_ID)
    try:
        _prepare(guest_api.API(trove_context.get_admin_context(),
                               INSTANCE_ID))
        assert endpoint.arrived.wait(10)
    finally:
        _stop(server)
    [(method, kwargs)] = endpoint.received
    assert method == 'prepare'
    assert ('ds_version' in kwargs) is sends_ds_version
    assert kwargs['mount_point'] == '/var/lib/mysql'


def test_a_method_newer_than_the_cap_is_refused_before_sending(
        fake_transport):
    CONF.set_override('taskmanager', 'icehouse', group='upgrade_levels')
    endpoint, server = _serve(CONF.taskmanager_queue, 'tm-host')
    try:
        api = taskmanager_api.API(trove_context.get_admin_context())
        with pytest.raises(messaging.RPCVersionCapError):
            api.update_configuration(INSTANCE_ID, 'config-id')
        CONF.set_override('taskmanager', 'latest', group='upgrade_levels')
        taskmanager_api.API(trove_context.get_admin_context()) \
            .update_configuration(INSTANCE_ID, 'config-id')
        assert endpoint.arrived.wait(10)
    finally:
        _stop(server)
    assert endpoint.received == [('update_configuration', {
        'instance_id': INSTANCE_ID, 'configuration_id': 'config-id'})]


def test_version_cap_resolves_release_aliases():
    CONF.set_override('guestagent', 'victoria', group='upgrade_levels')
    try:
        assert rpc.version_cap('guestagent', guest_api.VERSION_ALIASES,
                               guest_api.API_LATEST_VERSION) == '1.1'
    finally:
        CONF.clear_override('guestagent', group='upgrade_levels')
    assert rpc.version_cap('guestagent', guest_api.VERSION_ALIASES,
                           guest_api.API_LATEST_VERSION) == \
        guest_api.API_LATEST_VERSION


def test_prepare_sends_tls_at_1_8_only(fake_transport):
    ssl = {'mode': 'enforced', 'certificate': 'C', 'private_key': 'K',
           'ca_certificate': 'CA'}
    endpoint, server = _serve(guest_api.topic(INSTANCE_ID), INSTANCE_ID)
    try:
        api = guest_api.API(trove_context.get_admin_context(), INSTANCE_ID)
        api.prepare(memory_mb=512, packages=[], databases=[], users=[],
                    device_path=None, mount_point='/var/lib/mysql',
                    backup_info=None, config_contents='', root_password=None,
                    overrides=None, cluster_config=None, snapshot=None,
                    modules=None, ds_version='10.11', ssl=ssl)
        assert endpoint.arrived.wait(10)
    finally:
        _stop(server)
    [(method, kwargs)] = endpoint.received
    assert kwargs['ssl'] == ssl
    # A deployment capped below 1.8 cannot prepare with TLS: refused
    # before anything is sent.
    CONF.set_override('guestagent', '1.7', group='upgrade_levels')
    api = guest_api.API(trove_context.get_admin_context(), INSTANCE_ID)
    with pytest.raises(exception.GuestError):
        api.prepare(memory_mb=512, packages=[], databases=[], users=[],
                    device_path=None, mount_point='/var/lib/mysql',
                    backup_info=None, config_contents='', root_password=None,
                    overrides=None, cluster_config=None, snapshot=None,
                    modules=None, ds_version='10.11', ssl=ssl)
