"""Where the agent's RPC connects, and how its queues are declared.

Read from ``transport_url``, ``control_exchange`` and the
[oslo_messaging_rabbit] options of trove.conf.agent_transport: the same
settings oslo.messaging's RabbitMQ driver reads, declared the same way
(a queue declared twice with different arguments is refused by the
broker, and the taskmanager declares a new guest's queues first).
"""

import dataclasses
import ssl
from urllib import parse

DEFAULT_PORT = 5672
DEFAULT_URL = 'rabbit://guest:guest@localhost:5672/'


class SettingsError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Broker:
    host: str
    port: int
    userid: str
    password: str

    @property
    def address(self):
        host = ('[%s]' % self.host) if ':' in self.host else self.host
        return '%s:%d' % (host, self.port)


@dataclasses.dataclass(frozen=True)
class Settings:
    brokers: tuple
    virtual_host: str
    exchange: str
    durable: bool = False
    auto_delete: bool = False
    ha_queues: bool = False
    quorum_queues: bool = False
    transient_ttl: int = 1800
    heartbeat: int = 60
    ssl_options: object = None

    @property
    def userid(self):
        return self.brokers[0].userid

    def ssl_for(self, broker):
        """py-amqp's ``ssl`` argument to reach ``broker``: False for plain.
        A verified connection (``ssl_ca_file`` set) also checks the
        broker's name, as the URL gives it, against its certificate, as
        oslo.messaging does: else any certificate of that authority would
        pass for the broker."""
        if not self.ssl_options:
            return False
        options = dict(self.ssl_options)
        if options.get('cert_reqs') == ssl.CERT_REQUIRED:
            options['server_hostname'] = broker.host
        return options

    def topic_queue_arguments(self):
        arguments = {}
        if self.ha_queues:
            arguments['x-ha-policy'] = 'all'
        if self.quorum_queues:
            arguments['x-queue-type'] = 'quorum'
        return arguments

    def transient_queue_arguments(self):
        arguments = {'x-ha-policy': 'all'} if self.ha_queues else {}
        if self.transient_ttl > 0:
            arguments['x-expires'] = self.transient_ttl * 1000
        return arguments

    @property
    def durable_topic(self):
        # Quorum queues are always durable.
        return self.durable or self.quorum_queues


def parse_url(url):
    """(brokers, virtual host) of a ``rabbit://`` transport URL."""
    scheme, _, rest = (url or DEFAULT_URL).partition('://')
    if scheme not in ('rabbit', 'amqp') or not rest:
        raise SettingsError('transport_url %r is not a rabbit:// URL'
                            % _masked(url))
    rest = rest.split('?', 1)[0]
    hosts_part, _, vhost = rest.partition('/')
    brokers = []
    for part in hosts_part.split(','):
        if not part:
            continue
        credentials, _, hostport = part.rpartition('@')
        user, _, password = credentials.partition(':')
        if hostport.startswith('['):
            host, _, port = hostport[1:].partition(']')
            port = port.lstrip(':')
        else:
            host, _, port = hostport.partition(':')
        try:
            port = int(port) if port else DEFAULT_PORT
        except ValueError as error:
            raise SettingsError('transport_url %r has a bad port'
                                % _masked(url)) from error
        brokers.append(Broker(host or 'localhost', port,
                              parse.unquote(user or 'guest'),
                              parse.unquote(password or 'guest')))
    if not brokers:
        brokers.append(Broker('localhost', DEFAULT_PORT, 'guest', 'guest'))
    return tuple(brokers), parse.unquote(vhost) or '/'


def _masked(url):
    return parse.urlsplit(url or '')._replace(netloc='***').geturl()


def _ssl_options(rabbit):
    """py-amqp's TLS options (its ``ssl`` argument), None for plain."""
    if not rabbit.ssl:
        return None
    options = {'cert_reqs': (ssl.CERT_REQUIRED if rabbit.ssl_ca_file
                             else ssl.CERT_NONE)}
    if rabbit.ssl_ca_file:
        options['ca_certs'] = rabbit.ssl_ca_file
    if rabbit.ssl_cert_file:
        options['certfile'] = rabbit.ssl_cert_file
        options['keyfile'] = rabbit.ssl_key_file or None
    return options


def from_conf(conf):
    brokers, vhost = parse_url(conf.transport_url)
    rabbit = conf.oslo_messaging_rabbit
    return Settings(brokers=brokers, virtual_host=vhost,
                    exchange=conf.control_exchange,
                    durable=rabbit.amqp_durable_queues,
                    auto_delete=rabbit.amqp_auto_delete,
                    ha_queues=rabbit.rabbit_ha_queues,
                    quorum_queues=rabbit.rabbit_quorum_queue,
                    transient_ttl=rabbit.rabbit_transient_queues_ttl,
                    heartbeat=rabbit.heartbeat_timeout_threshold,
                    ssl_options=_ssl_options(rabbit))
