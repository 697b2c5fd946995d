"""[DEFAULT] options of the conductor's heartbeat writer."""

from oslo_config import cfg

conductor_opts = [
    cfg.FloatOpt('conductor_heartbeat_batch_interval', default=0.05,
                 min=0,
                 help='Seconds the conductor gathers a guest heartbeat that '
                      'changes its instance\'s status, with any others, '
                      'before writing them in one transaction; 0 writes each '
                      'heartbeat at once.'),
    cfg.FloatOpt('conductor_heartbeat_steady_interval', default=1.0,
                 min=0,
                 help='Seconds the conductor gathers heartbeats that repeat '
                      'the status it last recorded for their instance (they '
                      'only refresh updated_at) before writing them; one '
                      'that changes a status is written within '
                      'conductor_heartbeat_batch_interval. Values below '
                      'that interval count as that interval.'),
    cfg.IntOpt('conductor_heartbeat_batch_size', default=500, min=1,
               help='Heartbeats that make the conductor write a batch '
                    'without waiting for the interval.'),
    cfg.FloatOpt('conductor_clock_jump', default=300.0, min=1,
                 help='Seconds by which a guest message may be older than '
                      'the newest one accepted from its instance and still '
                      'be taken as out of order (dropped). Older still, '
                      'the guest\'s clock was set back (NTP, a restored '
                      'server): the message is accepted and ordering '
                      'restarts from it, so the status does not freeze '
                      'until the clock catches up. Stamps from the future '
                      'count as the time they were received.'),
    cfg.IntOpt('conductor_rpc_threads', default=4, min=1,
               help='Threads that handle the messages the conductor '
                    'receives (instead of executor_thread_pool_size). Its '
                    'handlers are short (a heartbeat is only queued for the '
                    'writer), and with many threads handing every message '
                    'to another thread costs more than the handling.'),
]


def register_opts(conf):
    conf.register_opts(conductor_opts)


def list_opts():
    return {'DEFAULT': conductor_opts}
