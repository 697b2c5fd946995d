"""Publishing on one connection, with the broker's confirms.

Every publish waits for the broker's ack, so a message is on the broker
when ``publish`` returns. A mandatory message the broker cannot route
(no queue bound for it) comes back before the ack and raises
MessageUndeliverable; so does a message for an exchange that does not
exist (the broker closes the channel with NOT_FOUND). A lost connection
is opened again and the message published again, for ``retry_for``
seconds (None: until it is sent, as oslo.messaging does).
"""

import threading
import time

import amqp
from amqp import exceptions as amqp_errors
from oslo_log import log as logging

from trove.common import broker_names
from trove.common.amqp_rpc import link as amqp_link
from trove.common.amqp_rpc import wire

LOG = logging.getLogger(__name__)

# Seconds the broker has to confirm a message.
CONFIRM_TIMEOUT = 30.0


class Publisher:

    def __init__(self, settings, name, link=None):
        """``link``: an open connection to publish on (a call's own);
        by default one of the publisher's, opened when first needed."""
        self.settings = settings
        self._link = link or amqp_link.Link(settings, name)
        self._lock = threading.Lock()
        self._returned = []
        self._watched = None
        self._closing = threading.Event()

    def _channel(self):
        if self._link.connection is None:
            self._link.open()
        elif self._link.channel is None:
            self._link.reopen_channel()
        channel = self._link.channel
        if channel is not self._watched:
            channel.events['basic_return'].add(self._on_return)
            self._watched = channel
        return channel

    def _on_return(self, error, exchange, routing_key, message):
        self._returned.append('%s (exchange %r, routing key %r)'
                              % (error, exchange, routing_key))

    def publish(self, exchange, routing_key, message, mandatory=False,
                retry_for=None):
        body = wire.envelope(message)
        deadline = None if retry_for is None else \
            time.monotonic() + retry_for
        delay = amqp_link.RETRY_FIRST
        with self._lock:
            while True:
                try:
                    self._publish_once(exchange, routing_key, body,
                                       mandatory)
                    return
                except amqp_errors.ChannelError as error:
                    self._link.channel = None   # closed by the broker
                    if getattr(error, 'code', None) == 404:
                        raise wire.MessageUndeliverable(
                            'NOT_FOUND - no exchange %r: %s'
                            % (exchange, error)) from error
                    raise
                except wire.MessageUndeliverable:
                    raise
                except Exception as error:
                    if not amqp_link.is_connection_error(error):
                        raise
                    self._link.close()
                    left = None if deadline is None else \
                        deadline - time.monotonic()
                    if self._closing.is_set() or (left is not None
                                                  and left <= 0):
                        raise
                    wait = delay if left is None else min(delay, left)
                    LOG.warning('Lost the broker while publishing to %r '
                                '(%s); publishing again in %.0f s',
                                exchange or routing_key, error, wait)
                    if self._closing.wait(wait):
                        raise
                    delay = min(delay * 2, amqp_link.RETRY_LONGEST)

    def _publish_once(self, exchange, routing_key, body, mandatory):
        channel = self._channel()
        del self._returned[:]
        channel.basic_publish_confirm(
            amqp.Message(body, content_type=wire.CONTENT_TYPE,
                         content_encoding=wire.CONTENT_ENCODING),
            exchange=exchange, routing_key=routing_key,
            mandatory=mandatory, confirm_timeout=CONFIRM_TIMEOUT)
        if self._returned:
            raise wire.MessageUndeliverable(
                'the broker returned the message: %s' % self._returned[0])

    def publish_reply(self, reply_q, message):
        """A reply to a call: through the replies exchange for an
        instance's own broker user (trove.common.rpc_replies), else the
        default exchange. A caller gone for a minute is not waited for."""
        exchange = ''
        if broker_names.is_instance_user(self.settings.userid):
            exchange = broker_names.reply_exchange(self.settings.exchange)
        try:
            self.publish(exchange, reply_q, message, retry_for=60)
        except Exception as error:
            LOG.warning('The reply to %s could not be sent: %s',
                        reply_q, error)

    def close(self):
        self._closing.set()
        with self._lock:
            self._link.close()
