"""The RPC server: one topic and server name, a pool of threads.

It declares what oslo.messaging's RPC server declares (the topic queue
``<topic>``, the server's queue ``<topic>.<server>``, both bound to the
control exchange, and a fanout queue on ``<topic>_fanout``) with the
same attributes, consumes them, acknowledges each message as it
arrives (as oslo.messaging does) and runs it in a thread of the pool;
a call's result or failure goes back to the caller's reply queue. After
a lost connection it connects and declares again, for as long as it
runs. An instance's own broker user may not declare the control
exchange, only check it exists (trove.common.rpc_replies).
"""

import collections
from concurrent import futures
import threading

from oslo_log import log as logging

from trove.common import broker_names
from trove.common.amqp_rpc import dispatch
from trove.common.amqp_rpc import link as amqp_link
from trove.common.amqp_rpc import publisher as amqp_publisher
from trove.common.amqp_rpc import wire

LOG = logging.getLogger(__name__)

DEFAULT_THREADS = 16
# Message ids remembered to drop a redelivered duplicate (oslo.messaging
# keeps as many).
SEEN_IDS = 16
POLL_SECONDS = 1.0


class RpcServer:

    def __init__(self, settings, topic, server, endpoints, serializer,
                 threads=None):
        self.settings = settings
        self.topic = topic
        self.server = server
        self.threads = threads
        self._dispatcher = dispatch.Dispatcher(endpoints, serializer)
        self._fanout_queue = '%s_fanout_%s' % (topic, wire.new_id())
        self._link = amqp_link.Link(settings, 'rpc:%s' % topic,
                                    heartbeat=settings.heartbeat)
        self._publisher = amqp_publisher.Publisher(
            settings, 'rpc-replies:%s' % topic)
        self._stopping = threading.Event()
        self._seen = collections.deque(maxlen=SEEN_IDS)
        self._executor = None
        self._thread = None

    @property
    def queues(self):
        return (self.topic, '%s.%s' % (self.topic, self.server))

    def start(self, override_pool_size=None):
        """Returns once the queues are declared and consumed."""
        self._executor = futures.ThreadPoolExecutor(
            max_workers=override_pool_size or self.threads
            or DEFAULT_THREADS, thread_name_prefix='rpc')
        self._connect()
        self._thread = threading.Thread(target=self._consume, daemon=True,
                                        name='rpc-consumer')
        self._thread.start()

    def _connect(self, error=None):
        delay = amqp_link.RETRY_FIRST
        while not self._stopping.is_set():
            if not self._link.open_until(self._stopping, error):
                return False
            try:
                self._declare(self._link.channel)
                return True
            except Exception as failure:    # retried: see the loop
                error = failure
                LOG.warning('Cannot declare the queues of %s (%s); trying '
                            'again in %.0f s', self.topic, failure, delay)
                self._link.close()
            if self._stopping.wait(delay):
                return False
            delay = min(delay * 2, amqp_link.RETRY_LONGEST)
        return False

    def _declare(self, channel):
        settings = self.settings
        passive = broker_names.is_instance_user(settings.userid)
        channel.exchange_declare(settings.exchange, 'topic',
                                 passive=passive,
                                 durable=settings.durable_topic,
                                 auto_delete=settings.auto_delete)
        for queue in self.queues:
            channel.queue_declare(queue, durable=settings.durable_topic,
                                  auto_delete=settings.auto_delete,
                                  arguments=settings.topic_queue_arguments())
            channel.queue_bind(queue, settings.exchange, routing_key=queue)
        fanout = '%s_fanout' % self.topic
        channel.exchange_declare(fanout, 'fanout', durable=False,
                                 auto_delete=True)
        channel.queue_declare(self._fanout_queue, durable=False,
                              auto_delete=False,
                              arguments=settings.transient_queue_arguments())
        channel.queue_bind(self._fanout_queue, fanout,
                           routing_key=self.topic)
        for queue in self.queues + (self._fanout_queue,):
            channel.basic_consume(queue, callback=self._on_message,
                                  no_ack=False)

    def _consume(self):
        while not self._stopping.is_set():
            try:
                self._link.drain(POLL_SECONDS)
                self._link.tick()
            except Exception as error:
                if self._stopping.is_set():
                    break
                LOG.warning('RPC server of %s lost the broker (%s); '
                            'connecting again', self.topic, error)
                self._link.close()
                self._connect(error)

    def _on_message(self, message):
        message.channel.basic_ack(message.delivery_tag)
        try:
            request = wire.open_envelope(message.body)
        except wire.BadMessage as error:
            LOG.warning('Dropped a message on %s: %s', self.topic, error)
            return
        unique_id = request.pop('_unique_id', None)
        if unique_id is not None:
            if unique_id in self._seen:
                LOG.warning('Dropped a duplicate message %s', unique_id)
                return
            self._seen.append(unique_id)
        try:
            self._executor.submit(self._handle, request)
        except RuntimeError:    # the pool is shut down: stopping
            LOG.warning('Stopping: message %s not handled', unique_id)

    def _handle(self, request):
        # In a pool thread: what it raises would only be kept in a
        # future nobody reads.
        try:
            self._serve(request)
        except Exception:
            LOG.exception('Could not serve a message on %s', self.topic)

    def _serve(self, request):
        msg_id = request.pop('_msg_id', None)
        reply_q = request.pop('_reply_q', None)
        request.pop('_timeout', None)
        context = wire.unpack_context(request)
        result, failure = self._dispatcher.dispatch(context, request)
        if msg_id and reply_q:
            self._publisher.publish_reply(
                reply_q, wire.reply(msg_id, result, failure))

    def stop(self):
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=POLL_SECONDS * 5)
        self._link.close()

    def wait(self):
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._publisher.close()
