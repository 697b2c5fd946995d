"""[DEFAULT] options of sealed guest messages (trove.common.sealed_messages)."""

from oslo_config import cfg

secure_opts = [
    cfg.StrOpt('inst_rpc_key_encr_key',
               default='emYjgHFqfXNB1NGehAFIUeoyw4V4XwWHEaKP', secret=True,
               help='Controller: key that encrypts each instance\'s message '
                    'key in the control database. The default is '
                    'upstream\'s public value: set a secret of your own '
                    '(trove-local generates one per deployment).'),
    cfg.StrOpt('instance_rpc_encr_key', secret=True,
               help='Guest: this instance\'s message key (the taskmanager '
                    'writes it in guest_info.conf). Unset: the guest sends '
                    'plain messages, which the conductor accepts only for '
                    'an instance that has no key.'),
]


def register_opts(conf):
    conf.register_opts(secure_opts)


def list_opts():
    return {'DEFAULT': secure_opts}
