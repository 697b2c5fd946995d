"""RPC replies of instance users through an exchange of their own.

oslo.messaging's RabbitMQ driver publishes an RPC reply to the default
exchange with the caller's reply queue as routing key. Publishing to the
default exchange reaches *any* queue by name, so a guest allowed to reply
that way could also cast into the taskmanager's queue. Instead:

* every reply queue a caller declares is also bound to the direct
  exchange ``<control_exchange>_replies`` under its own name (the caller
  declares that exchange);
* a connection logged in as an instance's own broker user
  (``trove-guest-*``, trove.common.broker_users) publishes its replies
  to that exchange (passively: it may not declare or delete it), which
  routes only to reply queues.

Its broker user then needs write on that exchange and nothing on
``amq.default``. Replies from other connections go the usual way, and a
reply queue still receives them (it stays on the default exchange).

Such a connection also declares the control exchange (``trove``) only
passively -- when its RPC server binds its queues to it and when it
casts to the conductor -- so its user needs no configure permission on
it (configure would also let it delete the exchange). Until the services
have declared the exchange again after a broker restart, the guest's
server retries its declares (oslo.messaging polls again) and its casts
are sent again (trove.conductor.api).
"""

import functools

import kombu
import oslo_messaging
from oslo_messaging._drivers import impl_rabbit

from trove.common import broker_names
from trove.conf import CONF


def reply_exchange(control_exchange=None):
    return broker_names.reply_exchange(control_exchange
                                       or CONF.control_exchange)


def _instance_user(connection):
    kombu_connection = getattr(connection, 'connection', None)
    return broker_names.is_instance_user(
        getattr(kombu_connection, 'userid', None))


def _exchange(passive):
    return kombu.entity.Exchange(name=reply_exchange(), type='direct',
                                 durable=False, auto_delete=False,
                                 passive=passive)


def _control_exchange(exchange):
    return exchange is not None and exchange.name == CONF.control_exchange


def _passive(exchange):
    return kombu.entity.Exchange(name=exchange.name, type=exchange.type,
                                 durable=exchange.durable,
                                 auto_delete=exchange.auto_delete,
                                 passive=True)


def _declare(original):
    @functools.wraps(original)
    def declare(self, conn):
        if _instance_user(conn) and _control_exchange(self.exchange) \
                and not self.exchange.passive:
            self.exchange = _passive(self.exchange)
        original(self, conn)
        if (self.exchange_name == ''
                and self.queue_name.startswith(
                    broker_names.REPLY_QUEUE_PREFIX)
                and not _instance_user(conn)):
            # A caller's reply queue: reachable through the replies
            # exchange too (again after every reconnect).
            _exchange(passive=False)(conn.channel).declare()
            conn.channel.queue_bind(self.queue_name, reply_exchange(),
                                    routing_key=self.queue_name)
    declare.trove_replies = True
    return declare


def _direct_send(original):
    @functools.wraps(original)
    def direct_send(self, msg_id, msg):
        if not _instance_user(self):
            return original(self, msg_id, msg)
        options = oslo_messaging.TransportOptions(
            at_least_once=self.direct_mandatory_flag)
        self._ensure_publishing(self._publish_and_raises_on_missing_exchange,
                                _exchange(passive=True), msg,
                                routing_key=msg_id,
                                transport_options=options)
    direct_send.trove_replies = True
    return direct_send


def _publish(original):
    @functools.wraps(original)
    def publish(self, exchange, msg, *args, **kwargs):
        if _instance_user(self) and _control_exchange(exchange) \
                and not exchange.passive:
            exchange = _passive(exchange)
        return original(self, exchange, msg, *args, **kwargs)
    publish.trove_replies = True
    return publish


def install():
    """Patch the driver once (idempotent)."""
    consumer, connection = impl_rabbit.Consumer, impl_rabbit.Connection
    if not getattr(consumer.declare, 'trove_replies', False):
        consumer.declare = _declare(consumer.declare)
    if not getattr(connection.direct_send, 'trove_replies', False):
        connection.direct_send = _direct_send(connection.direct_send)
    if not getattr(connection._publish, 'trove_replies', False):
        connection._publish = _publish(connection._publish)
