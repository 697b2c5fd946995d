"""A guest reports only about its own instance, sealed with its own key.

A real conductor (its manager behind an RpcService with the opening
serializer) on a private RabbitMQ vhost and a migrated SQLite control DB.
Guest clients are the conductor API as an agent builds it: ``guest_id``
and ``instance_rpc_encr_key`` set, so it seals. Forged messages (sealed
by instance A naming B, a plain one for an instance that has a key, one
claiming to come from B but sealed with A's key) change nothing and are
logged; the honest ones are applied.
"""

import contextlib
import logging
import time
import uuid

import oslo_messaging as messaging
import pytest
import sqlalchemy as sa

from tests.helpers import processes
from trove.common import context as trove_context
from trove.common import rpc
from trove.common import sealed_messages
from trove.common import service
from trove.conductor import api as conductor_api
from trove.conductor import manager as conductor_manager
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import migration
from trove.db import models

pytestmark = pytest.mark.functional


def _instance(session, key):
    instance_id = str(uuid.uuid4())
    session.add(models.Instance(
        id=instance_id, name='i-' + instance_id[:8], tenant_id='p1',
        encrypted_key=sealed_messages.encrypt_instance_key(key)))
    session.add(models.ServiceStatusRecord(
        instance_id=instance_id, status_id=0x01, status_description='new'))
    return instance_id


@pytest.fixture
def conductor(tmp_path, rabbit_transport_url):
    url = 'sqlite:///%s' % (tmp_path / 'trove.sqlite')
    engine = sa.create_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    db_api.configure(url)
    rpc.get_transport()
    rpc.cleanup()
    overrides = {'transport_url': rabbit_transport_url,
                 'conductor_queue': 'conductor-' + uuid.uuid4().hex[:8]}
    for name, value in overrides.items():
        CONF.set_override(name, value)
    manager = conductor_manager.Manager()
    server = service.RpcService(CONF.conductor_queue, 'sealed-test',
                                [manager], serializer=manager.serializer())
    server.start()
    try:
        yield manager
    finally:
        server.stop()
        manager.stop()
        rpc.cleanup()
        for name in overrides:
            CONF.clear_override(name)
        db_api.configure()


@contextlib.contextmanager
def guest(instance_id, key):
    """The conductor API as the agent of ``instance_id`` makes it."""
    CONF.set_override('guest_id', instance_id)
    CONF.set_override('instance_rpc_encr_key', key)
    try:
        yield conductor_api.API(trove_context.get_admin_context())
    finally:
        CONF.clear_override('guest_id')
        CONF.clear_override('instance_rpc_encr_key')


def _status(instance_id):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.query(models.ServiceStatusRecord).filter_by(
            instance_id=instance_id).one().status_description


def _backup_state(backup_id):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.get(models.Backup, backup_id).state


def test_forged_messages_are_dropped_and_logged(conductor, caplog):
    caplog.set_level(logging.WARNING, logger='trove.conductor.manager')
    key_a = sealed_messages.new_instance_key()
    key_b = sealed_messages.new_instance_key()
    with db_api.writer(trove_context.get_admin_context()) as session:
        a = _instance(session, key_a)
        b = _instance(session, key_b)
        backup_b = str(uuid.uuid4())
        session.add(models.Backup(id=backup_b, name='b', state='BUILDING',
                                  instance_id=b, tenant_id='p1'))
    sent = time.time()

    # A's own heartbeat, sealed with A's key: applied.
    with guest(a, key_a) as client_a:
        client_a.heartbeat(a, {'service_status': 'shutdown'}, sent=sent)
        # Sealed by A, naming B: dropped.
        client_a.heartbeat(b, {'service_status': 'crashed'}, sent=sent)
        client_a.update_backup(b, backup_b, sent=sent, state='FAILED',
                               description='forged by A')
    # Claims to be B but sealed with A's key: does not open.
    with guest(b, key_a) as impostor:
        impostor.heartbeat(b, {'service_status': 'crashed'}, sent=sent + 1)
    # Plain (no key): B has a key, so dropped.
    plain = conductor_api.API(trove_context.get_admin_context())
    plain.heartbeat(b, {'service_status': 'crashed'}, sent=sent + 2)

    processes.wait_until(lambda: _status(a) == 'shutdown', timeout=20,
                         message='A\'s own heartbeat was not applied')
    processes.wait_until(
        lambda: caplog.text.count('Dropped') >= 4, timeout=20,
        message=lambda: 'not every forgery was logged:\n' + caplog.text)
    assert 'sealed by instance %s but naming instance %s' % (a, b) \
        in caplog.text
    assert 'Dropped update_backup sealed by instance %s' % a in caplog.text
    assert 'not sealed with the key of the instance' in caplog.text
    assert 'Dropped plain heartbeat naming instance %s' % b in caplog.text
    assert _status(b) == 'new'
    assert _backup_state(backup_b) == 'BUILDING'
    # The keys themselves never reach the log.
    assert key_a not in caplog.text and key_b not in caplog.text

    # B's honest messages, sealed with its own key, are applied.
    with guest(b, key_b) as client_b:
        client_b.heartbeat(b, {'service_status': 'healthy'}, sent=sent + 3)
        client_b.update_backup(b, backup_b, sent=sent + 3,
                               state='COMPLETED', size=1.5)
    processes.wait_until(lambda: _status(b) == 'healthy', timeout=20)
    processes.wait_until(lambda: _backup_state(backup_b) == 'COMPLETED',
                         timeout=20)


def test_a_tampered_token_does_not_open():
    key = sealed_messages.new_instance_key()
    token = sealed_messages.seal(key, {'instance_id': 'a'})
    assert sealed_messages.unseal(key, token) == {'instance_id': 'a'}
    tampered = token[:-6] + ('A' if token[-6] != 'A' else 'B') + token[-5:]
    with pytest.raises(sealed_messages.SealError):
        sealed_messages.unseal(key, tampered)
    with pytest.raises(sealed_messages.SealError):
        sealed_messages.unseal(sealed_messages.new_instance_key(), token)
    encrypted = sealed_messages.encrypt_instance_key(key)
    assert key not in encrypted
    assert sealed_messages.decrypt_instance_key(encrypted) == key


class Agent:
    """A guest's endpoint: counts what it ran."""

    target = messaging.Target(version='1.0')

    def __init__(self):
        self.calls = []

    def get_filesystem_stats(self, context, fs_path=None):
        self.calls.append(fs_path)
        return {'used': 0.5, 'total': 1.0, 'path': fs_path}


def test_control_plane_to_guest_is_sealed_both_ways(conductor):
    from trove.common import exception
    from trove.guestagent import api as guest_api
    key = sealed_messages.new_instance_key()
    with db_api.writer(trove_context.get_admin_context()) as session:
        instance_id = _instance(session, key)
        other_id = _instance(session, sealed_messages.new_instance_key())
    agent = Agent()
    server = service.RpcService(
        guest_api.topic(instance_id), instance_id, [agent],
        serializer=sealed_messages.ChannelSerializer(instance_id, key))
    server.start()
    try:
        context = trove_context.get_admin_context()
        # The API/taskmanager's client finds the key in the control DB.
        client = guest_api.API(context, instance_id)
        assert isinstance(client.client.serializer,
                          sealed_messages.ChannelSerializer)
        answer = client._call('get_filesystem_stats', 10, fs_path='/data')
        assert answer == {'used': 0.5, 'total': 1.0, 'path': '/data'}
        assert agent.calls == ['/data']

        # A plain client, and one sealing with another instance's key:
        # refused, nothing run.
        plain = rpc.get_client(guest_api.topic(instance_id), '1.0',
                               server=instance_id, timeout=10)
        with pytest.raises(Exception):
            plain.call(context, 'get_filesystem_stats', fs_path='/plain')
        foreign = guest_api.API(context, other_id)
        foreign.client = rpc.get_client(
            guest_api.topic(instance_id), '1.0', server=instance_id,
            serializer=sealed_messages.ChannelSerializer(
                other_id, sealed_messages.instance_key(other_id)))
        with pytest.raises(exception.GuestError):
            foreign._call('get_filesystem_stats', 10, fs_path='/foreign')
        assert agent.calls == ['/data']
    finally:
        server.stop()
