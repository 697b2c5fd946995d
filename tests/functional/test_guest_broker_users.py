"""A guest's own RabbitMQ user: its own queue and the conductor, nothing
else (issue 23, trove.common.broker_users).

A real broker, a vhost of the test's own, users made with rabbitmqctl as
the taskmanager makes them. The guest side talks through oslo.messaging
with only its own credentials: it serves its own guest queue (a call
from the control plane is answered), casts to the conductor and makes the
one call a guest makes to it (its replies go through the replies
exchange, trove.common.rpc_replies). With the same credentials, plain
AMQP (kombu) is refused by the broker when it consumes another
instance's guest queue or the taskmanager's queue, publishes to the
taskmanager through the control exchange or the default exchange,
deletes the replies exchange or the control exchange, or binds its
queue to another routing key.
"""

import shutil
import subprocess
import threading
import time
import uuid

import kombu
import oslo_messaging as messaging
from oslo_messaging.rpc import dispatcher
import pytest

from tests.helpers import rabbit
from trove.common import broker_users
from trove.common.amqp_rpc import link as amqp_link
from trove.common.amqp_rpc import settings as amqp_settings
from trove.common import rpc_replies
from trove.conf import CONF

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(not shutil.which('rabbitmqctl'),
                       reason='needs rabbitmqctl'),
]

CONDUCTOR = 'trove-conductor'
TASKMANAGER = 'trove-taskmanager'


def _user_exists(name):
    result = subprocess.run(['rabbitmqctl', '-q', 'list_users',
                             '--no-table-headers'],
                            capture_output=True, text=True, timeout=60)
    return name in [line.split('\t')[0]
                    for line in result.stdout.splitlines()]


@pytest.fixture
def vhost():
    # As trove.common.rpc does for every service and agent.
    rpc_replies.install()
    vhost = rabbit.RabbitVhost()
    if not vhost.own_vhost:
        vhost.delete()
        pytest.skip('no RabbitMQ vhost of our own (rabbitmqctl as root)')
    made = []
    try:
        yield vhost, made
    finally:
        for instance_id in made:
            broker_users.remove(instance_id, broker_users.Rabbitmqctl())
        vhost.delete()


def _guest_url(vhost, made, instance_id):
    made.append(instance_id)
    return broker_users.provision(instance_id, vhost.transport_url,
                                  CONF.control_exchange, CONDUCTOR,
                                  users=broker_users.Rabbitmqctl())


class Conductor:
    target = messaging.Target(version='1.0')

    def __init__(self):
        self.heartbeats = []
        self.received = threading.Event()
        self.ended = threading.Event()

    def heartbeat(self, context, instance_id, payload):
        self.heartbeats.append((instance_id, payload))
        self.received.set()

    def replication_standing(self, context, instance_id):
        return {'instance_id': instance_id, 'fenced': False}

    def notify_end(self, context, instance_id, event_type, payload=None,
                   sent=None):
        self.ended.set()


class Agent:
    target = messaging.Target(version='1.0')

    def ping(self, context, word):
        return word.upper()


def _server(transport, topic, server, endpoint):
    rpc_server = messaging.get_rpc_server(
        transport, messaging.Target(topic=topic, server=server), [endpoint],
        executor='threading',
        access_policy=dispatcher.DefaultRPCAccessPolicy)
    rpc_server.start()
    return rpc_server


def _stop(rpc_server):
    rpc_server.stop()
    rpc_server.wait()


def _refused(url, action):
    """Run ``action(channel)`` on a fresh connection with ``url``; the
    broker's refusal (403 ACCESS_REFUSED), or None if it was allowed."""
    connection = kombu.Connection(url.replace('rabbit://', 'amqp://', 1))
    try:
        channel = connection.channel()
        action(channel)
        # A refused publish is reported asynchronously: a round trip
        # makes it show.
        channel.basic_qos(0, 1, False)
    except Exception as error:
        return str(error)
    finally:
        try:
            connection.release()
        except Exception:
            pass
    return None


def test_guest_user_serves_its_queue_and_reaches_only_the_conductor(vhost):
    vhost, made = vhost
    instance_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    guest_url = _guest_url(vhost, made, instance_id)
    name = broker_users.user_name(instance_id)
    assert '%s:' % name in guest_url and 'guest:guest' not in guest_url
    assert _user_exists(name)

    # The control plane: the conductor's server, the taskmanager's queue
    # and another instance's guest queue, with the deployment's user.
    admin = messaging.get_rpc_transport(CONF, url=vhost.transport_url)
    guest = messaging.get_rpc_transport(CONF, url=guest_url)
    conductor = Conductor()
    servers = [_server(admin, CONDUCTOR, 'conductor-1', conductor),
               _server(admin, TASKMANAGER, 'tm-1', Agent()),
               _server(admin, 'guestagent.' + other_id, other_id, Agent())]
    try:
        # The guest serves its own queue: a call from the control plane
        # (the taskmanager's client) is answered.
        servers.append(_server(guest, 'guestagent.' + instance_id,
                               instance_id, Agent()))
        to_guest = messaging.get_rpc_client(
            admin, messaging.Target(topic='guestagent.' + instance_id,
                                    server=instance_id), timeout=20)
        assert to_guest.call({}, 'ping', word='hello') == 'HELLO'

        # It casts to the conductor and makes its one call to it.
        to_conductor = messaging.get_rpc_client(
            guest, messaging.Target(topic=CONDUCTOR), timeout=20)
        to_conductor.cast({}, 'heartbeat', instance_id=instance_id,
                          payload={'service_status': 'healthy'})
        assert conductor.received.wait(20)
        assert conductor.heartbeats == [
            (instance_id, {'service_status': 'healthy'})]
        assert to_conductor.call({}, 'replication_standing',
                                 instance_id=instance_id) == {
            'instance_id': instance_id, 'fenced': False}
    finally:
        for rpc_server in servers:
            _stop(rpc_server)

    # Anything else: ACCESS_REFUSED by the broker.
    exchange = kombu.Exchange(CONF.control_exchange, 'topic', durable=False)
    refusals = {
        'consume another guest queue': _refused(
            guest_url, lambda channel: channel.basic_consume(
                'guestagent.' + other_id, callback=lambda message: None)),
        'consume the taskmanager queue': _refused(
            guest_url, lambda channel: channel.basic_consume(
                TASKMANAGER, callback=lambda message: None)),
        'publish to the taskmanager': _refused(
            guest_url, lambda channel: kombu.Producer(
                channel, exchange).publish({'method': 'delete_instance'},
                                           routing_key=TASKMANAGER)),
        'publish to the taskmanager through the default exchange': _refused(
            guest_url, lambda channel: kombu.Producer(
                channel, kombu.Exchange('', 'direct', passive=True)).publish(
                    {'method': 'delete_instance'}, routing_key=TASKMANAGER)),
        'delete the replies exchange': _refused(
            guest_url, lambda channel: channel.exchange_delete(
                rpc_replies.reply_exchange())),
        'delete the control exchange': _refused(
            guest_url, lambda channel: channel.exchange_delete(
                CONF.control_exchange)),
        'bind its queue to the conductor key': _refused(
            guest_url, lambda channel: channel.queue_bind(
                'guestagent.' + instance_id, CONF.control_exchange,
                CONDUCTOR)),
        'declare another guest queue': _refused(
            guest_url, lambda channel: channel.queue_declare(
                'guestagent.' + other_id + '.x', auto_delete=True)),
    }
    for what, refusal in refusals.items():
        assert refusal is not None, '%s was allowed' % what
        assert 'ACCESS_REFUSED' in refusal, (what, refusal)

    # Another instance's user cannot read this guest's queue either.
    other_url = _guest_url(vhost, made, other_id)
    assert 'ACCESS_REFUSED' in (_refused(
        other_url, lambda channel: channel.basic_consume(
            'guestagent.' + instance_id,
            callback=lambda message: None)) or '')
    admin.cleanup()
    guest.cleanup()

    # The delete removes the user; removing it again is fine.
    broker_users.remove(instance_id, broker_users.Rabbitmqctl())
    assert not _user_exists(name)
    broker_users.remove(instance_id, broker_users.Rabbitmqctl())


def test_a_guest_cast_before_the_control_exchange_exists_arrives(vhost):
    """On a fresh vhost (as after a broker restart, before the services
    declared it again) there is no control exchange, and the guest may
    only declare it passively: its cast is sent again until the
    conductor's server has declared exchange and queue."""
    from trove.common import context as trove_context
    from trove.common import rpc
    from trove.conductor import api as conductor_api
    vhost, made = vhost
    instance_id = str(uuid.uuid4())
    guest_url = _guest_url(vhost, made, instance_id)
    rpc.cleanup()
    overrides = {'transport_url': guest_url, 'conductor_queue': CONDUCTOR,
                 'guest_id': instance_id}
    for name, value in overrides.items():
        CONF.set_override(name, value)
    conductor = Conductor()
    admin = messaging.get_rpc_transport(CONF, url=vhost.transport_url)
    server = None
    try:
        client = conductor_api.API(trove_context.get_admin_context())
        sending = threading.Thread(
            target=client.notify_end, daemon=True,
            args=(instance_id, 'instance_create'))
        sending.start()
        sending.join(1.5)
        assert sending.is_alive(), 'the cast returned with no exchange'
        server = _server(admin, CONDUCTOR, 'conductor-1', conductor)
        sending.join(30)
        assert not sending.is_alive()
        assert conductor.ended.wait(20), 'the cast was lost'
    finally:
        if server is not None:
            _stop(server)
        admin.cleanup()
        rpc.cleanup()
        for name in overrides:
            CONF.clear_override(name)


def _close_connections_of(vhost_name, prefix):
    listed = subprocess.run(
        ['rabbitmqctl', '-q', 'list_connections', '-p', vhost_name, 'user',
         'pid', '--no-table-headers'], capture_output=True, text=True,
        timeout=60).stdout
    for line in listed.splitlines():
        user, pid = line.split('\t')
        if user.startswith(prefix):
            subprocess.run(['rabbitmqctl', '-q', 'close_connection', pid,
                            'test'], capture_output=True, timeout=60)


def test_a_guest_serves_again_once_the_control_exchange_is_back(vhost):
    """As after a broker restart: the control exchange and the guest's
    queues are gone and its connection drops. The guest may only
    declare the exchange passively; its server retries until a service
    has declared the exchange again, then serves its queue."""
    vhost, made = vhost
    instance_id = str(uuid.uuid4())
    guest_url = _guest_url(vhost, made, instance_id)
    admin = messaging.get_rpc_transport(CONF, url=vhost.transport_url)
    guest = messaging.get_rpc_transport(CONF, url=guest_url)
    taskmanager = _server(admin, TASKMANAGER, 'tm-1', Agent())
    served = _server(guest, 'guestagent.' + instance_id, instance_id,
                     Agent())
    to_guest = messaging.get_rpc_client(
        admin, messaging.Target(topic='guestagent.' + instance_id,
                                server=instance_id), timeout=10)
    plain = kombu.Connection(vhost.transport_url.replace(
        'rabbit://', 'amqp://', 1))
    try:
        assert to_guest.call({}, 'ping', word='before') == 'BEFORE'
        _stop(taskmanager)
        channel = plain.channel()
        channel.exchange_delete(CONF.control_exchange)
        for queue in ('guestagent.' + instance_id,
                      'guestagent.%s.%s' % (instance_id, instance_id)):
            channel.queue_delete(queue)
        _close_connections_of(vhost.name, broker_users.USER_PREFIX)
        time.sleep(3)
        # The taskmanager comes back and declares the exchange again.
        taskmanager = _server(admin, TASKMANAGER, 'tm-1', Agent())
        deadline = time.monotonic() + 60
        while True:
            try:
                assert to_guest.call({}, 'ping', word='after') == 'AFTER'
                break
            except messaging.MessagingTimeout:
                assert time.monotonic() < deadline, 'the guest stays deaf'
    finally:
        _stop(served)
        _stop(taskmanager)
        plain.release()
        admin.cleanup()
        guest.cleanup()


def test_a_user_whose_vhost_is_gone_is_not_left():
    """A vhost deleted while an instance's user is made (a test system
    torn down during a create): no user is left without permissions,
    where no cleanup of a vhost's users would find it."""
    instance_id = str(uuid.uuid4())
    name = broker_users.user_name(instance_id)
    try:
        with pytest.raises(broker_users.BrokerUserError):
            broker_users.provision(
                instance_id, 'rabbit://guest:guest@127.0.0.1:5672/'
                'trove-test-gone-' + uuid.uuid4().hex[:8],
                CONF.control_exchange, CONDUCTOR,
                users=broker_users.Rabbitmqctl())
        assert not _user_exists(name)
    finally:
        broker_users.remove(instance_id, broker_users.Rabbitmqctl())


def test_a_resumed_build_resets_the_password(vhost):
    vhost, made = vhost
    instance_id = str(uuid.uuid4())
    first = _guest_url(vhost, made, instance_id)
    second = _guest_url(vhost, made, instance_id)
    assert first != second
    assert _refused(first, lambda channel: None) is not None
    assert _refused(second, lambda channel: None) is None


def test_trove_local_down_removes_and_up_restores_the_users(vhost, tmp_path):
    from trove.localenv import isolation
    vhost, made = vhost
    instance_id = str(uuid.uuid4())
    url = _guest_url(vhost, made, instance_id)
    etc = tmp_path / 'instances' / 'server-1' / 'etc'
    etc.mkdir(parents=True)
    (etc / 'trove-guestagent.conf').write_text(
        '[DEFAULT]\ntransport_url = %s\ncontrol_exchange = trove\n' % url)
    (etc / 'guest_info.conf').write_text(
        '[DEFAULT]\nguest_id = %s\n' % instance_id)
    name = broker_users.user_name(instance_id)

    # down: the users on the deployment's vhost go with it.
    assert isolation.remove_instance_users(vhost.name) == [name]
    assert not _user_exists(name)
    # up: made again with the password the guest holds.
    assert isolation.restore_instance_users(
        str(tmp_path / 'instances')) == [name]
    assert _refused(url, lambda channel: channel.queue_declare(
        'guestagent.' + instance_id, auto_delete=True)) is None


def test_concurrent_users_share_imports_and_a_bad_one_fails_alone(vhost):
    """Builds asking for users at once share rabbitmqctl runs (each an
    Erlang VM); a user whose vhost is gone fails alone, leaves no user,
    and the others log in."""
    rabbit_vhost, made = vhost
    users = broker_users.Rabbitmqctl()
    runs = []
    real_run = users._run

    def counting_run(*args, **kwargs):
        runs.append(args[0])
        return real_run(*args, **kwargs)

    users._run = counting_run
    urls, errors = {}, {}

    def provision(instance_id, transport_url):
        try:
            urls[instance_id] = broker_users.provision(
                instance_id, transport_url, CONF.control_exchange,
                CONDUCTOR, users=users)
        except broker_users.BrokerUserError as error:
            errors[instance_id] = error

    def at_once(requests):
        threads = [threading.Thread(target=provision, args=request)
                   for request in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    good = [str(uuid.uuid4()) for _ in range(5)]
    made.extend(good)
    at_once([(instance_id, rabbit_vhost.transport_url)
             for instance_id in good])
    assert set(urls) == set(good) and not errors
    # The first alone, the four that came while it ran together.
    assert runs.count('import_definitions') <= 2, runs

    bad, more = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(2)]
    made.extend([bad] + more)
    gone = rabbit_vhost.transport_url.rsplit('/', 1)[0] + '/no-such-vhost'
    at_once([(bad, gone)] + [(instance_id, rabbit_vhost.transport_url)
                             for instance_id in more])
    assert set(errors) == {bad}
    assert not _user_exists(broker_users.user_name(bad))
    assert set(urls) == set(good + more)
    for instance_id in good + more:
        brokers, vhost_name = amqp_settings.parse_url(urls[instance_id])
        link = amqp_link.Link(amqp_settings.Settings(
            brokers=brokers, virtual_host=vhost_name,
            exchange=CONF.control_exchange), 'login')
        try:
            link.open()     # refused (ACCESS_REFUSED) without the user
        finally:
            link.close()
