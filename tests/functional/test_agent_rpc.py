"""The guest agent's own RPC (trove.common.amqp_rpc) against oslo.messaging.

The agent speaks oslo.messaging's RabbitMQ wire format without loading
oslo.messaging (issue 26: its memory). Here both stacks run on one
private vhost of the real RabbitMQ: the control plane's oslo.messaging
client calls and casts to an agent-stack server (as the taskmanager does
to a guest), and the agent-stack client casts and calls to an
oslo.messaging server (as a guest does to the conductor), with plain and
sealed messages; remote failures, unknown methods, versions, unroutable
casts and a broker that drops every connection behave as oslo.messaging
has them.
"""

import subprocess
import threading
import time

import oslo_messaging as messaging
import pytest

from tests.helpers import rabbit
from trove.common import context as trove_context
from trove.common import exception
from trove.common import rpc
from trove.common import sealed_messages
from trove.common.amqp_rpc import client as amqp_client
from trove.common.amqp_rpc import dispatch
from trove.common.amqp_rpc import server as amqp_server
from trove.common.amqp_rpc import settings as amqp_settings
from trove.common.amqp_rpc import wire
from trove.conf import CONF

INSTANCE = '6f0c5b1e-2f67-4c1c-9d1e-0d6f3c5a9e21'
KEY = sealed_messages.new_instance_key()


class EngineSaidNo(Exception):
    """Of a module the caller does not allow: a RemoteError there."""


class AgentEndpoint:
    """What a guest manager is to the agent: methods at version 1.8."""

    target = dispatch.Target(version='1.8')

    def __init__(self):
        self.casts = []
        self.arrived = threading.Event()

    def get_status(self, context, detail=False):
        return {'status': 'healthy', 'detail': detail,
                'tenant': context.project_id}

    def fail_not_found(self, context):
        raise exception.NotFound(uuid='db-1')

    def fail_plainly(self, context):
        raise EngineSaidNo('the engine said no')

    def note(self, context, value):
        self.casts.append(value)
        self.arrived.set()

    def _private(self, context):
        return 'never served'


class ConductorEndpoint:
    """What the conductor is to a guest: oslo.messaging's server."""

    target = messaging.Target(version='1.6')

    def __init__(self):
        self.casts = []
        self.arrived = threading.Event()

    def heartbeat(self, context, instance_id, payload, sent):
        self.casts.append((instance_id, payload, context.project_id))
        self.arrived.set()

    def replication_standing(self, context, instance_id):
        if instance_id == 'unknown':
            raise exception.NotFound(uuid=instance_id)
        return {'fenced': False, 'instance': instance_id}


@pytest.fixture(scope='module')
def transport_url():
    with rabbit.private_transport_url() as url:
        rpc.get_transport()     # registers the transport options
        rpc.cleanup()
        CONF.set_override('transport_url', url)
        try:
            yield url
        finally:
            rpc.cleanup()
            amqp_client.close_publishers()
            CONF.clear_override('transport_url')


@pytest.fixture(scope='module')
def agent_settings(transport_url):
    brokers, vhost = amqp_settings.parse_url(transport_url)
    return amqp_settings.Settings(brokers=brokers, virtual_host=vhost,
                                  exchange=CONF.control_exchange)


def _context():
    return trove_context.TroveContext(project_id='tenant-7',
                                      user_id='user-7')


@pytest.fixture(params=['plain', 'sealed'])
def agent(request, agent_settings):
    """An agent-stack server on guestagent.<id>; yields (endpoint, an
    oslo.messaging client to it)."""
    sealed = request.param == 'sealed'
    serializer = (sealed_messages.ChannelSerializer(INSTANCE, KEY) if sealed
                  else rpc.ContextSerializer())
    endpoint = AgentEndpoint()
    topic = 'guestagent.%s' % INSTANCE
    server = amqp_server.RpcServer(agent_settings, topic, INSTANCE,
                                   [endpoint], serializer)
    server.start()
    client = rpc.get_client(topic, '1.8', server=INSTANCE, timeout=20,
                            serializer=serializer)
    try:
        yield endpoint, client
    finally:
        server.stop()
        server.wait()


def test_a_call_from_oslo_messaging_is_served_by_the_agent_stack(agent):
    endpoint, client = agent
    answer = client.prepare(version='1.2').call(_context(), 'get_status',
                                                detail=True)
    assert answer == {'status': 'healthy', 'detail': True,
                      'tenant': 'tenant-7'}


def test_an_allowed_exception_comes_back_as_its_own_class(agent):
    _, client = agent
    with pytest.raises(exception.NotFound) as raised:
        client.call(_context(), 'fail_not_found')
    assert 'db-1' in str(raised.value)


def test_other_exceptions_and_refusals_come_back_as_remote_errors(agent):
    _, client = agent
    with pytest.raises(messaging.RemoteError) as raised:
        client.call(_context(), 'fail_plainly')
    assert raised.value.exc_type == 'EngineSaidNo'
    assert 'the engine said no' in raised.value.value
    with pytest.raises(messaging.RemoteError) as raised:
        client.call(_context(), 'no_such_method')
    assert raised.value.exc_type == 'NoSuchMethod'
    with pytest.raises(messaging.RemoteError) as raised:
        client.call(_context(), '_private')
    assert raised.value.exc_type == 'NoSuchMethod'
    too_new = rpc.get_client('guestagent.%s' % INSTANCE, '1.9',
                             server=INSTANCE, timeout=20,
                             serializer=client.serializer)
    with pytest.raises(messaging.RemoteError) as raised:
        too_new.prepare(version='1.9').call(_context(), 'get_status')
    assert raised.value.exc_type == 'UnsupportedVersion'


def test_a_cast_from_oslo_messaging_arrives(agent):
    endpoint, client = agent
    client.cast(_context(), 'note', value={'n': 1})
    assert endpoint.arrived.wait(20)
    assert endpoint.casts == [{'n': 1}]


def test_a_plain_message_on_a_sealed_channel_is_refused(agent_settings):
    endpoint = AgentEndpoint()
    topic = 'guestagent.%s' % INSTANCE
    server = amqp_server.RpcServer(
        agent_settings, topic, INSTANCE, [endpoint],
        sealed_messages.ChannelSerializer(INSTANCE, KEY))
    server.start()
    try:
        plain = rpc.get_client(topic, '1.8', server=INSTANCE, timeout=20)
        with pytest.raises(messaging.RemoteError) as raised:
            plain.call(_context(), 'get_status')
        assert raised.value.exc_type == 'SealError'
    finally:
        server.stop()
        server.wait()


@pytest.fixture
def conductor(transport_url):
    endpoint = ConductorEndpoint()
    topic = 'trove-conductor-%s' % wire.new_id()[:8]
    server = rpc.get_server(topic, 'conductor-1', [endpoint])
    server.start()
    try:
        yield topic, endpoint
    finally:
        server.stop()
        server.wait()


def test_the_agent_stack_casts_and_calls_an_oslo_messaging_server(
        agent_settings, conductor):
    topic, endpoint = conductor
    client = amqp_client.RpcClient(agent_settings, topic, '1.6',
                                   serializer=rpc.ContextSerializer(),
                                   mandatory=True, timeout=20,
                                   allowed_modules=rpc.ALLOWED_EXMODS)
    client.cast(_context(), 'heartbeat', instance_id=INSTANCE,
                payload={'service_status': 'healthy'}, sent=time.time())
    assert endpoint.arrived.wait(20)
    assert endpoint.casts == [(INSTANCE, {'service_status': 'healthy'},
                               'tenant-7')]
    answer = client.prepare(version='1.6').call(
        _context(), 'replication_standing', instance_id=INSTANCE)
    assert answer == {'fenced': False, 'instance': INSTANCE}
    with pytest.raises(exception.NotFound):
        client.prepare(version='1.6').call(
            _context(), 'replication_standing', instance_id='unknown')


def test_a_call_nobody_answers_times_out(agent_settings, conductor):
    topic, _ = conductor
    client = amqp_client.RpcClient(agent_settings, topic + '-nobody',
                                   serializer=rpc.ContextSerializer(),
                                   timeout=1)
    with pytest.raises(wire.MessageUndeliverable):
        client.call(_context(), 'replication_standing', instance_id='x')
    declared = rpc.get_server(topic + '-silent', 's', [])
    declared.start()
    declared.stop()
    declared.wait()
    silent = amqp_client.RpcClient(agent_settings, topic + '-silent',
                                   serializer=rpc.ContextSerializer(),
                                   timeout=1)
    started = time.monotonic()
    with pytest.raises(wire.MessagingTimeout):
        silent.call(_context(), 'replication_standing', instance_id='x')
    assert time.monotonic() - started < 5


def test_an_unroutable_mandatory_cast_is_undeliverable(agent_settings):
    client = amqp_client.RpcClient(agent_settings, 'no-such-topic',
                                   serializer=rpc.ContextSerializer(),
                                   mandatory=True)
    with pytest.raises(wire.MessageUndeliverable) as raised:
        client.cast(_context(), 'heartbeat', instance_id=INSTANCE)
    assert rpc.is_undeliverable(raised.value)
    # Not mandatory: dropped by the broker, as oslo.messaging's are.
    not_mandatory = amqp_client.RpcClient(
        agent_settings, 'no-such-topic', serializer=rpc.ContextSerializer())
    not_mandatory.cast(_context(), 'heartbeat', instance_id=INSTANCE)


def test_a_sealed_cast_opens_with_the_instance_key(agent_settings,
                                                   conductor):
    topic, endpoint = conductor
    sealing = sealed_messages.SealingSerializer(INSTANCE, KEY)
    client = amqp_client.RpcClient(agent_settings, topic, '1.6',
                                   serializer=sealing, mandatory=True)
    client.cast(_context(), 'heartbeat', instance_id=INSTANCE,
                payload={'service_status': 'healthy'}, sent=time.time())
    assert endpoint.arrived.wait(20)
    # The oslo.messaging side received what the guest sealed (the
    # conductor's OpeningSerializer opens it; this endpoint sees tokens).
    instance_id, payload, _ = endpoint.casts[0]
    assert instance_id[sealed_messages.SENDER] == INSTANCE
    assert sealed_messages.unseal(KEY, instance_id['sealed']) == INSTANCE
    assert sealed_messages.unseal(KEY, payload['sealed']) == {
        'service_status': 'healthy'}


def _close_connections(transport_url):
    vhost = transport_url.rsplit('/', 1)[1]
    result = subprocess.run(
        ['rabbitmqctl', '-q', 'close_all_connections', '-p', vhost,
         'test: the broker drops everyone'],
        capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        pytest.skip('rabbitmqctl cannot close connections: %s'
                    % result.stderr.strip())


def test_the_server_serves_again_after_the_broker_drops_it(
        transport_url, agent_settings):
    if not transport_url.rsplit('/', 1)[1]:
        pytest.skip('no vhost of our own to drop')
    endpoint = AgentEndpoint()
    topic = 'guestagent.%s' % INSTANCE
    server = amqp_server.RpcServer(agent_settings, topic, INSTANCE,
                                   [endpoint], rpc.ContextSerializer())
    server.start()
    try:
        client = rpc.get_client(topic, '1.8', server=INSTANCE, timeout=30)
        assert client.call(_context(), 'get_status')['status'] == 'healthy'
        _close_connections(transport_url)
        deadline = time.monotonic() + 60
        while True:
            try:
                assert client.call(_context(), 'get_status')['status'] \
                    == 'healthy'
                break
            except messaging.MessagingTimeout:
                assert time.monotonic() < deadline
    finally:
        server.stop()
        server.wait()
