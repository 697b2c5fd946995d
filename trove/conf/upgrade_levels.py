"""[upgrade_levels]: the newest RPC version each client may send.

During a rolling upgrade an operator pins the clients to the version the
oldest running server understands, by number ("1.0") or release alias.
"""

from oslo_config import cfg

GROUP = cfg.OptGroup('upgrade_levels', title='RPC version caps')

upgrade_levels_opts = [
    cfg.StrOpt('taskmanager', default='latest',
               help='Version cap of messages sent to the taskmanager.'),
    cfg.StrOpt('guestagent', default='latest',
               help='Version cap of messages sent to guest agents.'),
    cfg.StrOpt('conductor', default='latest',
               help='Version cap of messages sent to the conductor.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(upgrade_levels_opts, group=GROUP)


def list_opts():
    return {GROUP: upgrade_levels_opts}
