"""Options every datastore group has, built with per-datastore defaults.

The ``[mysql]``, ``[mariadb]`` and ``[postgresql]`` modules call
``datastore_opts`` so the three groups stay identical in shape.
"""

from oslo_config import cfg


def cluster_opts(*, cluster_support):
    """Options of a datastore that may form clusters."""
    return [
        cfg.BoolOpt('cluster_support', default=cluster_support,
                    help='Whether clusters of this datastore may be '
                         'created (POST /clusters answers 501 if not).'),
        cfg.IntOpt('min_cluster_member_count', default=3, min=1,
                   help='Fewest members a new cluster may have; Galera '
                        'needs three to keep a quorum when one fails.'),
        cfg.IntOpt('cluster_usage_timeout', default=1800, min=1,
                   help='Seconds a cluster may take to form (its members '
                        'built and joined) or to grow.'),
        cfg.BoolOpt('cluster_auto_recovery', default=True,
                    help='Whether the taskmanager restarts, on its own, a '
                         'cluster every member of which crashed (each '
                         'guest agent reports its engine dead): the '
                         'member with the most recent data bootstraps '
                         'and the others rejoin.'),
    ]


def datastore_opts(*, tcp_ports, mount_point, ignore_users, ignore_dbs,
                   backup_strategy, replication_strategy,
                   replication_namespace, service_uname, usage_timeout=None,
                   exposed_logs=('general', 'slow_query'),
                   long_query_time=1000):
    opts = [
        cfg.ListOpt('tcp_ports', default=tcp_ports,
                    help='TCP ports the engine listens on.'),
        cfg.StrOpt('mount_point', default=mount_point,
                   help='Where the data volume is mounted in the guest.'),
        cfg.StrOpt('device_path', default='/dev/vdb',
                   help='Device of the data volume in the guest.'),
        cfg.BoolOpt('volume_support', default=True,
                    help='Whether instances of this datastore get a data '
                         'volume.'),
        cfg.BoolOpt('root_on_create', default=False,
                    help='Enable the root user when an instance is created '
                         'and return its password in the create response.'),
        cfg.ListOpt('ignore_users', default=ignore_users,
                    help='Users reserved for the system: hidden from '
                         'listings and refused in requests.'),
        cfg.ListOpt('ignore_dbs', default=ignore_dbs,
                    help='Databases reserved for the system: hidden from '
                         'listings and refused in requests.'),
        cfg.IntOpt('default_password_length', default=36, min=8,
                   help='Length of generated passwords.'),
        cfg.StrOpt('backup_strategy', default=backup_strategy,
                   help='Backup driver the guest uses.'),
        cfg.StrOpt('replication_strategy', default=replication_strategy,
                   help='Replication strategy class name.'),
        cfg.StrOpt('replication_namespace', default=replication_namespace,
                   help='Module of the replication strategy.'),
        cfg.StrOpt('database_service_uname', default=service_uname,
                   help='Unprivileged OS user the engine runs as when the '
                        'guest agent runs as root.'),
        cfg.ListOpt('guest_log_exposed_logs', default=list(exposed_logs),
                    help='Guest logs a non-admin user may list, enable and '
                         'publish; the others answer 403 to them.'),
        cfg.IntOpt('guest_log_long_query_time', default=long_query_time,
                   min=0,
                   help='Milliseconds after which a statement is written '
                        'to the slow query log (PostgreSQL: to its log '
                        'when the general log is enabled; 0 logs all).'),
    ]
    if usage_timeout is not None:
        opts.append(cfg.IntOpt(
            'usage_timeout', default=usage_timeout, min=1,
            help='Seconds a new instance of this datastore may take to '
                 'become active; overrides [DEFAULT] usage_timeout.'))
    return opts
