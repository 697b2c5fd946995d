"""The agent RPC's wire format, URL parsing and version rules
(trove.common.amqp_rpc), checked against oslo.messaging's own helpers."""

import json
import sys

from oslo_messaging._drivers import common as oslo_common
from oslo_messaging import _utils as oslo_utils
import pytest

from trove.common import exception
from trove.common.amqp_rpc import dispatch
from trove.common.amqp_rpc import settings
from trove.common.amqp_rpc import wire


def test_an_envelope_is_what_oslo_messaging_opens_and_makes():
    message = {'method': 'prepare', 'args': {'n': 1}, '_unique_id': 'u'}
    assert oslo_common.deserialize_msg(json.loads(wire.envelope(message))) \
        == message
    theirs = json.dumps(oslo_common.serialize_msg(message))
    assert wire.open_envelope(theirs.encode()) == message


@pytest.mark.parametrize('body', [b'not json', b'[1]', b'{"oslo.version":'
                                  b' "9.0", "oslo.message": "{}"}',
                                  b'{"oslo.version": "2.0", '
                                  b'"oslo.message": "[]"}'])
def test_a_bad_body_is_a_bad_message(body):
    with pytest.raises(wire.BadMessage):
        wire.open_envelope(body)


def test_a_failure_is_rebuilt_by_oslo_messaging_as_the_same_class():
    try:
        raise exception.NotFound(uuid='x-1')
    except exception.NotFound as error:
        failure = wire.failure_of(error)
    rebuilt = oslo_common.deserialize_remote_exception(
        failure, ['trove.common.exception'])
    assert isinstance(rebuilt, exception.NotFound)
    ours = wire.exception_of(failure, ['trove.common.exception'])
    assert isinstance(ours, exception.NotFound)
    assert isinstance(wire.exception_of(failure, []), wire.RemoteError)


def test_oslo_messaging_failures_are_opened_too():
    try:
        raise ValueError('bad value')
    except ValueError:
        failure = oslo_common.serialize_remote_exception(sys.exc_info())
    rebuilt = wire.exception_of(failure, [])
    assert isinstance(rebuilt, ValueError) and 'bad value' in str(rebuilt)


@pytest.mark.parametrize('served,requested', [
    ('1.8', '1.0'), ('1.8', '1.8'), ('1.8', '1.9'), ('1.8', '2.0'),
    ('2.1', '1.0'), ('1.8.1', '1.8'), ('1.8', '1.8.1'), ('1.10', '1.9')])
def test_version_compatibility_is_oslo_messagings(served, requested):
    assert dispatch.is_compatible(served, requested) == \
        oslo_utils.version_is_compatible(served, requested)


def test_transport_urls():
    brokers, vhost = settings.parse_url(
        'rabbit://u%40x:p%3Aw@127.0.0.2:5673,v:q@[::1]/trove%2Ftest')
    assert vhost == 'trove/test'
    assert [(b.host, b.port, b.userid, b.password) for b in brokers] == [
        ('127.0.0.2', 5673, 'u@x', 'p:w'), ('::1', 5672, 'v', 'q')]
    assert brokers[1].address == '[::1]:5672'
    assert settings.parse_url('rabbit://guest:guest@localhost:5672/')[1] \
        == '/'
    with pytest.raises(settings.SettingsError):
        settings.parse_url('kafka://x')
    with pytest.raises(settings.SettingsError):
        settings.parse_url('rabbit://u:p@host:port/')


def test_queue_arguments_are_the_rabbit_drivers():
    plain = settings.Settings(brokers=(), virtual_host='/', exchange='t')
    assert plain.topic_queue_arguments() == {}
    assert plain.transient_queue_arguments() == {'x-expires': 1800000}
    quorum = settings.Settings(brokers=(), virtual_host='/', exchange='t',
                               quorum_queues=True)
    assert quorum.topic_queue_arguments() == {'x-queue-type': 'quorum'}
    assert quorum.durable_topic
