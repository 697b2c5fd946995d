"""The RPC client: casts through one shared publisher, calls through a
connection of their own.

Used like oslo.messaging's RPCClient (``prepare``, ``cast``, ``call``,
``can_send_version``). A cast is published on the control exchange
with the topic (``<topic>.<server>`` for one server) as routing key;
``mandatory`` makes one no queue receives raise MessageUndeliverable. A
call declares an exclusive reply queue ``reply_<hex>`` on a connection
of its own, publishes, and waits for the reply naming its ``_msg_id``
(the agent makes one call, at start-up, so nothing is pooled).
"""

import threading
import time

from trove.common import broker_names
from trove.common.amqp_rpc import dispatch
from trove.common.amqp_rpc import link as amqp_link
from trove.common.amqp_rpc import publisher as amqp_publisher
from trove.common.amqp_rpc import wire

DEFAULT_CALL_TIMEOUT = 60

_publishers = {}
_publishers_lock = threading.Lock()


def shared_publisher(settings):
    """One publishing connection per process and broker settings."""
    key = (settings.brokers, settings.virtual_host, settings.exchange)
    with _publishers_lock:
        if key not in _publishers:
            _publishers[key] = amqp_publisher.Publisher(settings, 'casts')
        return _publishers[key]


def close_publishers():
    with _publishers_lock:
        publishers = list(_publishers.values())
        _publishers.clear()
    for publisher in publishers:
        publisher.close()


class RpcClient:

    def __init__(self, settings, topic, version_cap=None, server=None,
                 timeout=None, serializer=None, mandatory=False,
                 allowed_modules=(), version=dispatch.DEFAULT_VERSION):
        self.settings = settings
        self.topic = topic
        self.version_cap = version_cap
        self.server = server
        self.timeout = timeout
        self.serializer = serializer
        self.mandatory = mandatory
        self.allowed_modules = tuple(allowed_modules)
        self.version = version

    def prepare(self, version=None, timeout=None, server=None):
        return RpcClient(self.settings, self.topic, self.version_cap,
                         server or self.server,
                         timeout if timeout is not None else self.timeout,
                         self.serializer, self.mandatory,
                         self.allowed_modules, version or self.version)

    def can_send_version(self, version):
        return (self.version_cap is None
                or dispatch.is_compatible(self.version_cap, version))

    @property
    def routing_key(self):
        if self.server:
            return '%s.%s' % (self.topic, self.server)
        return self.topic

    def _message(self, context, method, kwargs):
        if not self.can_send_version(self.version):
            raise wire.MessagingError(
                'version %s is above the cap %s of topic %s'
                % (self.version, self.version_cap, self.topic))
        args = {name: self.serializer.serialize_entity(context, value)
                for name, value in kwargs.items()}
        message = wire.request(method, args, version=self.version)
        message['_unique_id'] = wire.new_id()
        wire.pack_context(message,
                          self.serializer.serialize_context(context))
        return message

    def cast(self, context, method, **kwargs):
        message = self._message(context, method, kwargs)
        shared_publisher(self.settings).publish(
            self.settings.exchange, self.routing_key, message,
            mandatory=self.mandatory)

    def call(self, context, method, **kwargs):
        timeout = self.timeout or DEFAULT_CALL_TIMEOUT
        deadline = time.monotonic() + timeout
        message = self._message(context, method, kwargs)
        msg_id = wire.new_id()
        reply_q = broker_names.REPLY_QUEUE_PREFIX + wire.new_id()
        message.update({'_msg_id': msg_id, '_reply_q': reply_q,
                        '_timeout': None})
        replies = []

        def on_reply(incoming):
            try:
                reply = wire.open_envelope(incoming.body)
            except wire.BadMessage:
                return
            if reply.get('_msg_id') == msg_id and reply.get('ending',
                                                            True):
                replies.append(reply)

        link = amqp_link.Link(self.settings, 'call:%s' % method)
        try:
            channel = link.open()
            channel.queue_declare(reply_q, exclusive=True, auto_delete=True)
            channel.basic_consume(reply_q, callback=on_reply, no_ack=True)
            publisher = amqp_publisher.Publisher(self.settings, link.name,
                                                 link=link)
            publisher.publish(self.settings.exchange, self.routing_key,
                              message, mandatory=True, retry_for=0)
            while not replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise wire.MessagingTimeout(
                        'Timed out waiting for a reply to message ID %s'
                        % msg_id)
                link.drain(min(left, 1.0))
        finally:
            link.close()
        reply = replies[0]
        if reply.get('failure'):
            raise wire.exception_of(reply['failure'], self.allowed_modules)
        return self.serializer.deserialize_entity(context,
                                                  reply.get('result'))
