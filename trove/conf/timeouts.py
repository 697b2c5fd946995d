"""[DEFAULT] deadlines: every wait in the system is bounded by one of these."""

from oslo_config import cfg

timeout_opts = [
    cfg.IntOpt('agent_heartbeat_expiry', default=90, min=1,
               help='Seconds without a guest heartbeat after which the '
                    'instance reports operating_status ERROR.'),
    cfg.IntOpt('agent_call_low_timeout', default=15, min=1,
               help='Seconds to wait for quick guest agent calls.'),
    cfg.IntOpt('agent_call_high_timeout', default=180, min=1,
               help='Seconds to wait for slow guest agent calls (restart, '
                    'user listing, root enablement...).'),
    cfg.IntOpt('configuration_apply_timeout', default=30, min=1,
               help='Seconds a request that changes, attaches or detaches '
                    'a configuration group waits for each instance\'s '
                    'guest agent to write and apply it. A changed group '
                    'is applied to every attached instance before the '
                    'request answers; an instance whose agent does not '
                    'answer in time gets a fault instead, and its next '
                    'restart applies the group.'),
    cfg.IntOpt('agent_replication_snapshot_timeout', default=1800, min=1,
               help='Seconds to wait for a replication snapshot.'),
    cfg.IntOpt('usage_timeout', default=1800, min=1,
               help='Seconds a new instance may take to become active '
                    'before it is put in error.'),
    cfg.IntOpt('restore_usage_timeout', default=3600, min=1,
               help='Seconds an instance restored from a backup may take '
                    'to become active.'),
    cfg.IntOpt('usage_sleep_time', default=5, min=1,
               help='Seconds between checks while waiting for an instance '
                    'to become active.'),
    cfg.BoolOpt('update_status_on_fail', default=True,
                help='Put an instance in error when it fails to become '
                     'active in time.'),
    cfg.IntOpt('state_change_wait_time', default=180, min=1,
               help='Guest: seconds to wait for the database to change '
                    'state (start, stop, restart).'),
    cfg.FloatOpt('state_change_poll_time', default=3, min=0.1,
                 help='Guest: seconds between the healthy checks that '
                      'confirm a started database (an integer upstream; '
                      'fractions let a local engine be confirmed '
                      'quickly).'),
    cfg.IntOpt('state_healthy_counts', default=5, min=1,
               help='Guest: consecutive healthy checks needed before a '
                    'database counts as started.'),
    cfg.IntOpt('configuration_probe_deadline', default=10, min=0,
               help='Guest: seconds the health probe keeps watching an '
                    'engine that started with configuration values it '
                    'never ran with before; if the probe fails '
                    'configuration_probe_failures times in a row (or the '
                    'engine dies) within them, the last working values are '
                    'restored. 0 watches nothing after a successful '
                    'start.'),
    cfg.IntOpt('configuration_probe_failures', default=3, min=1,
               help='Guest: consecutive failed health probes within '
                    'configuration_probe_deadline that roll a configuration '
                    'back.'),
    cfg.FloatOpt('configuration_probe_interval', default=1, min=0.05,
                 help='Guest: seconds between two health probes of that '
                      'watch.'),
    cfg.IntOpt('command_process_timeout', default=30, min=1,
               help='Guest: seconds a shell command may run.'),
    cfg.IntOpt('volume_time_out', default=60, min=1,
               help='Seconds to wait for a volume to be created, attached '
                    'or extended.'),
    cfg.IntOpt('server_delete_time_out', default=60, min=1,
               help='Seconds to wait for a server to be deleted.'),
    cfg.IntOpt('reboot_time_out', default=120, min=1,
               help='Seconds to wait for a server reboot.'),
    cfg.IntOpt('resize_time_out', default=900, min=1,
               help='Seconds a flavor resize may take.'),
    cfg.IntOpt('revert_time_out', default=600, min=1,
               help='Seconds a resize revert may take.'),
]


def register_opts(conf):
    conf.register_opts(timeout_opts)


def list_opts():
    return {'DEFAULT': timeout_opts}
