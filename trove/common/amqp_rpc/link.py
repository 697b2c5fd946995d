"""One AMQP connection and channel that come back after the broker does.

py-amqp objects are not thread-safe: a Link belongs to one thread at a
time (the server's consuming thread, or a publisher under its lock).
"""

import itertools
import socket

import amqp
from amqp import exceptions as amqp_errors
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# Seconds between attempts to reach the brokers: doubled up to the last
# (oslo.messaging's rabbit_retry_interval, _backoff and _interval_max).
RETRY_FIRST, RETRY_LONGEST = 1.0, 30.0
CONNECT_TIMEOUT = 10.0

# What means the connection is gone (a ChannelError only closes the
# channel).
CONNECTION_ERRORS = (OSError, amqp_errors.ConnectionError,
                     amqp_errors.RecoverableConnectionError)


def is_connection_error(error):
    return isinstance(error, CONNECTION_ERRORS)


class Link:

    def __init__(self, settings, name, heartbeat=0):
        self.settings = settings
        self.name = name
        self.heartbeat = heartbeat
        self.connection = None
        self.channel = None
        self._next_broker = itertools.cycle(settings.brokers)

    @property
    def is_open(self):
        return self.connection is not None and self.channel is not None

    def open(self):
        """Connect to the next broker in turn and open a channel; raises
        what the attempt raised."""
        self.close()
        broker = next(self._next_broker)
        connection = amqp.Connection(
            host=broker.address, userid=broker.userid,
            password=broker.password,
            virtual_host=self.settings.virtual_host,
            ssl=self.settings.ssl_for(broker),
            connect_timeout=CONNECT_TIMEOUT,
            heartbeat=self.heartbeat,
            client_properties={'connection_name': self.name})
        try:
            connection.connect()
            self.channel = connection.channel()
        except Exception:
            _close_quietly(connection)
            raise
        self.connection = connection
        LOG.debug('%s connected to %s', self.name, broker.address)
        return self.channel

    def open_until(self, stopping, first_error=None):
        """Connect, waiting between attempts, until connected (True) or
        ``stopping`` is set (False)."""
        delay = RETRY_FIRST
        error = first_error
        while not stopping.is_set():
            try:
                self.open()
                if error is not None:
                    LOG.info('%s connected again', self.name)
                return True
            except Exception as failure:    # every broker error retries
                error = failure
                LOG.warning('%s cannot reach the broker (%s); trying again '
                            'in %.0f s', self.name, failure, delay)
            if stopping.wait(delay):
                break
            delay = min(delay * 2, RETRY_LONGEST)
        return False

    def reopen_channel(self):
        """A new channel after a channel error (the connection stays)."""
        if self.connection is None:
            return self.open()
        try:
            self.channel = self.connection.channel()
        except Exception:
            self.close()
            raise
        return self.channel

    def tick(self):
        """Heartbeats, between reads (py-amqp sends none by itself)."""
        if self.heartbeat and self.connection is not None:
            self.connection.heartbeat_tick()

    def drain(self, timeout):
        try:
            self.connection.drain_events(timeout=timeout)
        except socket.timeout:
            pass

    def close(self):
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None:
            _close_quietly(connection)


def _close_quietly(connection):
    try:
        connection.close()
    except Exception:           # already gone: nothing to close
        try:
            connection.collect()
        except Exception:
            pass

