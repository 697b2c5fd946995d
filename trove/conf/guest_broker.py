"""[DEFAULT] options of per-instance broker users (trove.common.broker_users)."""

from oslo_config import cfg

broker_opts = [
    cfg.BoolOpt('guest_broker_users',
                help='Controller (taskmanager): give each instance a '
                     'RabbitMQ user of its own, allowed only its own guest '
                     'queues and casts to the conductor, instead of the '
                     'credentials of the guest config\'s transport_url '
                     '(made at create, deleted with the instance). Unset: '
                     'on when broker_management_url is set. trove-local '
                     'turns it on.'),
    cfg.StrOpt('broker_management_url',
               help='Controller: base URL of the RabbitMQ management HTTP '
                    'API (e.g. http://rabbit:15672) used to manage the '
                    'instances\' broker users. Unset: rabbitmqctl on the '
                    'taskmanager\'s host.'),
    cfg.StrOpt('broker_management_user', default='guest',
               help='Controller: management API user (it needs the '
                    'administrator tag).'),
    cfg.StrOpt('broker_management_password', default='guest', secret=True,
               help='Controller: password of broker_management_user.'),
]


def register_opts(conf):
    conf.register_opts(broker_opts)


def list_opts():
    return {'DEFAULT': broker_opts}
