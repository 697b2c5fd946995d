"""[DEFAULT] options of the operations features beyond upstream: the event
log of each instance, scheduled backups with retention, restore drills.
"""

from oslo_config import cfg

operations_opts = [
    cfg.IntOpt('instance_events_max_age_days', default=30, min=1,
               help='Days the event log of an instance keeps an event; '
                    'older events are removed by a periodic check of the '
                    'taskmanager.'),
    cfg.IntOpt('instance_events_page_size', default=50, min=1,
               help='Events of GET /instances/{id}/events per page (a '
                    'request\'s "limit" is capped at it).'),
    cfg.IntOpt('instance_events_check_interval', default=10, min=1,
               help='Seconds between the checks that log heartbeat expiry '
                    'and recovery of instances and purge old events. One '
                    'taskmanager of the deployment runs them.'),
    cfg.IntOpt('backup_schedule_check_interval', default=5, min=1,
               help='Seconds between the checks that start the scheduled '
                    'backups that are due and apply their retention. One '
                    'taskmanager of the deployment runs them.'),
    cfg.IntOpt('backup_schedule_min_interval', default=10, min=1,
               help='The shortest interval, in seconds, a backup schedule '
                    'may ask for.'),
    cfg.IntOpt('backup_drill_check_interval', default=5, min=1,
               help='Seconds between the checks that move restore drills '
                    'on. One taskmanager of the deployment runs them.'),
    cfg.IntOpt('backup_drill_timeout', default=900, min=10,
               help='Seconds a restore drill\'s sandbox may take to become '
                    'ACTIVE before the drill fails.'),
    cfg.StrOpt('backup_drill_flavor',
               help='Flavor of the sandboxes of restore drills; by default '
                    'the flavor of the backup\'s instance.'),
    cfg.IntOpt('backup_drill_volume_size', default=1, min=1,
               help='Volume size (GB) of a sandbox whose source instance '
                    'is gone.'),
    cfg.FloatOpt('backup_drill_estimate_tolerance', default=0.2, min=0,
                 help='When a backup recorded the engine\'s row estimates '
                      '(too many rows to count), a drill accepts a table '
                      'whose estimate in the sandbox differs by at most '
                      'this share (and by at most 1000 rows either way).'),
]


def register_opts(conf):
    conf.register_opts(operations_opts)


def list_opts():
    return {'DEFAULT': operations_opts}
