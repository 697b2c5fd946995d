"""The transport options the guest agent's own RPC reads.

Registered instead of oslo.messaging's in the guest agent only
(trove.common.messaging_stack, trove.common.amqp_rpc), under the same
names, groups and defaults, so the same guest config file works for
either stack. These are the options the agent honours; the other
[oslo_messaging_rabbit] options of a guest config are not read by it
(doc/architecture.md, doc/compatibility.md). Not in the sample config: oslo.messaging's own
definitions are.
"""

from oslo_config import cfg

GROUP = 'oslo_messaging_rabbit'

default_opts = [
    cfg.StrOpt('transport_url', secret=True,
               help='rabbit://user:password@host:port[,user:password@'
                    'host:port...]/vhost: the brokers, tried in turn.'),
    cfg.StrOpt('control_exchange', default='trove',
               help='The topic exchange of the services\' RPC.'),
]

rabbit_opts = [
    cfg.BoolOpt('ssl', default=False, help='Connect over TLS.'),
    cfg.StrOpt('ssl_ca_file', default='',
               help='CA bundle that verifies the broker\'s certificate.'),
    cfg.StrOpt('ssl_cert_file', default='',
               help='Client certificate (PEM).'),
    cfg.StrOpt('ssl_key_file', default='', help='Client key (PEM).'),
    cfg.BoolOpt('amqp_durable_queues', default=False,
                help='Declare durable queues and exchanges.'),
    cfg.BoolOpt('amqp_auto_delete', default=False,
                help='Declare auto-delete queues and exchanges.'),
    cfg.BoolOpt('rabbit_ha_queues', default=False,
                help='Declare queues with x-ha-policy all.'),
    cfg.BoolOpt('rabbit_quorum_queue', default=False,
                help='Declare the topic queues as quorum queues.'),
    cfg.IntOpt('rabbit_transient_queues_ttl', default=1800, min=0,
               help='Seconds an unused fanout queue lives (x-expires).'),
    cfg.IntOpt('heartbeat_timeout_threshold', default=60, min=0,
               help='AMQP heartbeat of the consuming connection, seconds '
                    '(0: none).'),
]


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_opts(rabbit_opts, group=GROUP)
