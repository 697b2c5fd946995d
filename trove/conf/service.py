"""[DEFAULT] options shared by the RPC services: names, queues, periodic work."""

from oslo_config import cfg

service_opts = [
    cfg.StrOpt('host', default='0.0.0.0',
               help='Name of this node: the RPC server name of the '
                    'taskmanager and conductor, and the notification '
                    'publisher.'),
    cfg.StrOpt('taskmanager_queue', default='taskmanager',
               help='RPC topic of the taskmanager.'),
    cfg.StrOpt('conductor_queue', default='trove-conductor',
               help='RPC topic of the conductor.'),
    cfg.StrOpt('taskmanager_manager',
               default='trove.taskmanager.manager.Manager',
               help='Class serving the taskmanager RPC endpoints.'),
    cfg.StrOpt('conductor_manager', default='trove.conductor.manager.Manager',
               help='Class serving the conductor RPC endpoints.'),
    cfg.IntOpt('trove_conductor_workers', min=1,
               help='Number of conductor processes. Defaults to the number '
                    'of CPUs.'),
    cfg.IntOpt('report_interval', default=30, min=0,
               help='Seconds between runs of periodic tasks (guest '
                    'heartbeats, taskmanager checks). 0 disables them.'),
    cfg.StrOpt('state_path', default='/var/lib/trove',
               help='Directory where the services keep local state.'),
    cfg.IntOpt('exists_notification_interval', default=3600, min=0,
               help='Seconds between trove.instance.exists notifications '
                    'of every live instance (the audit period); 0 sends '
                    'none. Sent only if [oslo_messaging_notifications] '
                    'names a driver.'),
    cfg.StrOpt('region', default='LOCAL_DEV',
               help='Region reported in usage notifications.'),
    cfg.StrOpt('os_region_name', default='RegionOne',
               help='Region of new instances, shown as their "region".'),
]



def register_opts(conf):
    conf.register_opts(service_opts)


def list_opts():
    return {'DEFAULT': service_opts}
