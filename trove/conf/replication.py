"""[DEFAULT] options of replication: replicas, promotion, ejection, and
automatic failover (doc/failover.md)."""

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

failover_opts = [
    cfg.BoolOpt('auto_failover', default=False,
                help='Default of the auto_failover setting of a primary '
                     'that does not set it: whether the taskmanager '
                     'replaces it by a replica when its engine dies.'),
    cfg.StrOpt('replication_mode', default='async',
               choices=['async', 'sync'],
               help='Default replication mode of a primary: async (a '
                    'failover may lose at most max_lag_on_failover bytes, '
                    'reported exactly) or sync (semi-synchronous MariaDB, '
                    'synchronous_standby_names ANY 1 on PostgreSQL; a '
                    'failover that could lose an acknowledged transaction '
                    'is refused).'),
    cfg.IntOpt('failover_block_seconds', default=300, min=0,
               help='After a failover, seconds before another failover of '
                    'the same replica set may start (anti-flapping).'),
    cfg.IntOpt('max_lag_on_failover', default=1048576, min=0,
               help='A replica further behind its failed primary than this '
                    '(bytes of WAL, or GTID sequence distance) is not '
                    'promoted.'),
    cfg.FloatOpt('failover_probe_interval', default=1.0, min=0.1,
                 help='Seconds between two engine probes of a primary with '
                      'auto_failover.'),
    cfg.FloatOpt('failover_probe_timeout', default=0.5, min=0.05,
                 help='Seconds an engine probe (TCP connect, greeting, '
                      'login, SELECT 1) may take.'),
    cfg.IntOpt('failover_probe_failures', default=3, min=1,
               help='Consecutive failed probes after which a primary is '
                    'suspected (then confirmed by its replicas or the '
                    'provider).'),
    cfg.StrOpt('engine_probe_password', default='', secret=True,
               help='Password of the os_probe account the probes log in '
                    'with; a refused login still shows the engine '
                    'answers.'),
    cfg.IntOpt('failover_rejoin_timeout', default=180, min=10,
               help='Seconds the fenced old primary may take to come back '
                    'and rejoin as a replica after a failover.'),
]


def register_opts(conf):
    conf.register_opts(replication_opts)
    conf.register_opts(failover_opts)


def list_opts():
    return {'DEFAULT': replication_opts + failover_opts}
