"""[DEFAULT] options of replication: replicas, promotion, ejection."""

from oslo_config import cfg

replication_opts = [
    cfg.IntOpt('max_replicas_per_primary', default=5, min=1,
               help='Most replicas one primary may have; a create that '
                    'would pass it is refused (400).'),
    cfg.IntOpt('replication_catch_up_timeout', default=120, min=1,
               help='Seconds a replica being promoted may take to apply '
                    'what its fenced source wrote; past it the promotion '
                    'fails and the source takes writes again.'),
    cfg.IntOpt('replication_task_timeout', default=900, min=60,
               help='Seconds a promotion, ejection or detach may take '
                    'before the stuck-task check ends it with a fault.'),
]


def register_opts(conf):
    conf.register_opts(replication_opts)


def list_opts():
    return {'DEFAULT': replication_opts}
