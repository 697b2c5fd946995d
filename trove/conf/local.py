"""[local]: the local compute provider (instances as processes)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('local', title='Local compute provider')

local_opts = [
    cfg.StrOpt('instances_dir', default='$state_path/instances',
               help='Where each instance gets its directory (config, '
                    'volume, logs, runtime files). Engine users must be '
                    'able to traverse it.'),
    cfg.StrOpt('volumes_dir', default='$state_path/volumes',
               help='Where each data volume gets its directory. Engine '
                    'users must be able to traverse it.'),
    cfg.StrOpt('availability_zone', default='nova',
               help='The one availability zone of the local provider '
                    '(every instance runs on this machine); a create '
                    'naming another zone is refused. "nova" is the zone '
                    'name the clients and Horizon use by default.'),
    cfg.StrOpt('volume_backend', default='directory',
               choices=[('directory', 'a plain directory; its size is '
                         'declared and measured, not enforced'),
                        ('loop', 'an ext4 filesystem of the volume\'s size '
                         'in a sparse file, loop-mounted on the volume\'s '
                         'directory (needs root and loop devices): a full '
                         'volume makes writes fail')],
               help='What the data volumes of new instances are.'),
    cfg.ListOpt('volume_types', default=['local'],
                help='Volume types the local provider offers (all are '
                     'directories on this machine); the first is the '
                     'default. A create naming another type is refused.'),
    cfg.StrOpt('address_pool', default='127.10.0.0/16',
               help='Loopback network the instances\' addresses come '
                    'from; every instance gets its own address and its '
                    'engine listens there on its standard port.'),
    cfg.StrOpt('guest_agent_command',
               help='Command starting a guest agent (default: '
                    'trove-guestagent next to this Python).'),
    cfg.BoolOpt('guest_agent_fork_server', default=True,
                help='Start guest agents as forks of one process that '
                     'has imported the agent (about 0.2 CPU seconds less '
                     'per instance, and memory shared between agents); '
                     'not used with guest_agent_command.'),
    cfg.IntOpt('guest_start_timeout', default=60, min=1,
               help='Seconds a guest agent may take to start serving.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(local_opts, group=GROUP)


def list_opts():
    return {GROUP: local_opts}
