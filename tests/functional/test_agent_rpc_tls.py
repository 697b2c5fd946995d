"""The guest agent's own RPC (trove.common.amqp_rpc) over TLS to a real
RabbitMQ node.

A private node of the test's own listens with a certificate for
127.0.0.1 issued by a test authority. The agent's options are the ones a
guest config carries ([oslo_messaging_rabbit] ssl, ssl_ca_file): with
them the agent stack serves a call from the control plane's
oslo.messaging client and casts to an oslo.messaging server, all over
TLS; a broker whose certificate another authority issued, or whose
certificate does not name the host the agent was told to reach, is
refused, as oslo.messaging refuses them.
"""

import ssl

import pytest

from tests.functional import test_agent_rpc as plain_rpc
from tests.helpers import private_rabbit
from trove.common import certificates
from trove.common import context as trove_context
from trove.common import rpc
from trove.common.amqp_rpc import client as amqp_client
from trove.common.amqp_rpc import link as amqp_link
from trove.common.amqp_rpc import server as amqp_server
from trove.common.amqp_rpc import settings as amqp_settings
from trove.common.amqp_rpc import wire
from trove.conf import CONF

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(not private_rabbit.available(),
                       reason='needs root and the rabbitmq user to run a '
                              'private RabbitMQ node'),
]

INSTANCE = '0b8d7a52-7d0e-4a0c-9d55-3f1a6a1e4c11'


def _authority(tmp_dir, name):
    made = certificates.create_authority(name)
    path = tmp_dir / ('%s.crt' % name.replace(' ', '-'))
    path.write_text(made.certificate)
    return certificates.Authority(made.certificate, made.private_key), \
        str(path)


@pytest.fixture(scope='module')
def tls_broker(tmp_path_factory):
    """(node, CA file that verifies it, CA file of another authority)."""
    tmp_dir = tmp_path_factory.mktemp('broker-tls')
    authority, ca_file = _authority(tmp_dir, 'broker test CA')
    _other, other_ca_file = _authority(tmp_dir, 'another CA')
    # Named for its address only: reached as "localhost" it is not the
    # host its certificate names.
    issued = authority.issue_server('broker', ['127.0.0.1'])
    node = private_rabbit.PrivateRabbit(
        tls=(issued.certificate, issued.private_key,
             authority.certificate_pem))
    try:
        node.start()
        yield node, ca_file, other_ca_file
    finally:
        node.remove()


def _url(node, host='127.0.0.1'):
    return 'rabbit://guest:guest@%s:%d/' % (host, node.tls_port)


@pytest.fixture
def tls_options(tls_broker):
    """Sets the options a guest config would carry; yields a function
    that gives the agent's settings for a host and CA file."""
    node, ca_file, _other = tls_broker
    rpc.get_transport()     # registers oslo.messaging's options
    rpc.cleanup()

    def settings(host='127.0.0.1', ca=ca_file):
        CONF.set_override('transport_url', _url(node, host))
        CONF.set_override('ssl', True, group='oslo_messaging_rabbit')
        CONF.set_override('ssl_ca_file', ca, group='oslo_messaging_rabbit')
        return amqp_settings.from_conf(CONF)

    try:
        yield settings
    finally:
        rpc.cleanup()
        amqp_client.close_publishers()
        for name in ('ssl', 'ssl_ca_file'):
            CONF.clear_override(name, group='oslo_messaging_rabbit')
        CONF.clear_override('transport_url')


def _context():
    return trove_context.TroveContext(project_id='tenant-tls',
                                      user_id='user-tls')


def test_the_agent_stack_works_over_verified_tls(tls_options):
    settings = tls_options()
    assert settings.ssl_options['cert_reqs'] == ssl.CERT_REQUIRED
    topic = 'guestagent.%s' % INSTANCE
    server = amqp_server.RpcServer(settings, topic, INSTANCE,
                                   [plain_rpc.AgentEndpoint()],
                                   rpc.ContextSerializer())
    server.start()
    try:
        # The control plane's oslo.messaging client, with the same
        # options, calls the agent.
        client = rpc.get_client(topic, '1.8', server=INSTANCE, timeout=30)
        assert client.call(_context(), 'get_status') == {
            'status': 'healthy', 'detail': False, 'tenant': 'tenant-tls'}
    finally:
        server.stop()
        server.wait()

    conductor = plain_rpc.ConductorEndpoint()
    conductor_topic = 'trove-conductor-%s' % wire.new_id()[:8]
    oslo_server = rpc.get_server(conductor_topic, 'conductor-1', [conductor])
    oslo_server.start()
    try:
        agent_client = amqp_client.RpcClient(
            settings, conductor_topic, '1.6',
            serializer=rpc.ContextSerializer(), mandatory=True, timeout=30)
        agent_client.cast(_context(), 'heartbeat', instance_id=INSTANCE,
                          payload={'service_status': 'healthy'}, sent=None)
        assert conductor.arrived.wait(30)
        assert conductor.casts == [(INSTANCE, {'service_status': 'healthy'},
                                    'tenant-tls')]
    finally:
        oslo_server.stop()
        oslo_server.wait()


def _open(settings):
    link = amqp_link.Link(settings, 'tls-test')
    try:
        return link.open()
    finally:
        link.close()


def test_a_broker_certified_by_another_authority_is_refused(
        tls_broker, tls_options):
    _node, _ca, other_ca = tls_broker
    with pytest.raises(ssl.SSLCertVerificationError,
                       match='certificate verify failed'):
        _open(tls_options(ca=other_ca))


def test_a_broker_certified_for_another_name_is_refused(tls_options):
    assert _open(tls_options()) is not None
    with pytest.raises(ssl.SSLCertVerificationError,
                       match="match|mismatch"):
        _open(tls_options(host='localhost'))


def test_tls_without_a_ca_file_encrypts_without_verifying(tls_broker,
                                                          tls_options):
    # ssl = True alone: oslo.messaging's meaning (no verification).
    settings = tls_options(host='localhost', ca='')
    assert settings.ssl_options == {'cert_reqs': ssl.CERT_NONE}
    assert _open(settings) is not None
