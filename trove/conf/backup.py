"""Backup options: where backups are stored, their format and deadlines.

``[DEFAULT]`` holds upstream's backup options (``storage_strategy``,
``backup_swift_container``, ``backup_segment_max_size``...) plus the local
storage directory and the deadlines this project adds. ``[backup_swift]``
(not upstream) gives fixed Swift credentials (tempauth or a Keystone
user) for deployments without user tokens, such as the noauth ``trove-local``;
without ``auth_url`` there, Swift is reached with the requesting user's
token, as upstream does. The API, the taskmanager and the guest agents
all read these options.
"""

from oslo_config import cfg

GiB = 1024 ** 3

backup_opts = [
    cfg.StrOpt('storage_strategy', default='local',
               choices=[('local', 'A directory on this machine '
                                  '(backup_local_dir); the embedded default.'),
                        ('swift', 'OpenStack Swift through '
                                  'python-swiftclient, in upstream\'s '
                                  'object format.')],
               help='Storage of new backups when the request names no '
                    'storage_driver.'),
    cfg.StrOpt('backup_local_dir', default='$state_path/backups',
               help='Directory of the "local" backup storage. The API, the '
                    'taskmanager and the guest agents must all see it at '
                    'this path (one machine).'),
    cfg.StrOpt('guest_log_container_name', default='database_logs',
               help='Container (local store: directory) that guest logs '
                    'are published into.'),
    cfg.IntOpt('guest_log_limit', default=1000000, min=1024,
               help='Largest segment (bytes) of a published guest log.'),
    cfg.IntOpt('guest_log_expiry', default=2592000, min=0,
               help='Seconds a published guest log is kept in Swift '
                    '(X-Delete-After; 0 keeps it).'),
    cfg.StrOpt('backup_swift_container', default='database_backups',
               help='Container (or, for local storage, sub-directory) of '
                    'backups whose request and backup strategy name none.'),
    cfg.IntOpt('backup_segment_max_size', default=2 * GiB, min=64 * 1024,
               help='Largest Swift segment of a backup in bytes; a larger '
                    'backup becomes a static large object.'),
    cfg.IntOpt('backup_chunk_size', default=65536, min=1024,
               help='Bytes read or written at a time while streaming a '
                    'backup.'),
    cfg.IntOpt('backup_compression_level', default=6, min=1, max=9,
               help='gzip level of backup streams (1 fastest, 9 smallest).'),
    cfg.BoolOpt('verify_swift_checksum_on_restore', default=True,
                help='Before building an instance from a backup, check that '
                     'every object of its chain still has the stored '
                     'checksum (409 otherwise).'),
    cfg.IntOpt('running_backups_expires', default=3, min=0,
               help='Days after which a backup still running may be '
                    'deleted.'),
    cfg.IntOpt('backup_timeout', default=86400, min=60,
               help='Seconds a backup may run: the guest stops its tools '
                    'past it, and the taskmanager marks a backup still '
                    'running after it (plus a grace) FAILED.'),
    # What a backup records for the restore drills that check it.
    cfg.IntOpt('backup_row_count_exact_limit', default=1000000, min=0,
               help='A backup records the exact row count (COUNT(*)) of '
                    'every user table when the engine estimates at most '
                    'this many rows in all of them; above it, the '
                    'engine\'s estimates are recorded (and a restore drill '
                    'compares them with a tolerance). 0 always records '
                    'estimates.'),
    cfg.IntOpt('backup_row_count_max_tables', default=1000, min=0,
               help='At most this many user tables have their rows counted '
                    'at backup time (the first ones by name); 0 records '
                    'no counts.'),
    cfg.IntOpt('backup_progress_interval', default=2, min=1,
               help='Seconds between two progress reports of a running '
                    'backup or restore to the conductor.'),
    # Point-in-time recovery: continuous archiving of WAL / binary logs.
    cfg.BoolOpt('pitr_enabled', default=True,
                help='Guest agents ship their engine\'s closed WAL segments '
                     '(PostgreSQL) or binary logs (MariaDB) to the backup '
                     'storage, so an instance can be restored to a point in '
                     'time; on by default wherever backups are configured.'),
    cfg.IntOpt('archive_timeout', default=60, min=1,
               help='PostgreSQL archive_timeout in seconds: a WAL segment '
                    'holding writes is closed and shipped at most this long '
                    'after its first write (the loss bound of a latest '
                    'restore).'),
    cfg.IntOpt('binlog_archive_interval', default=60, min=1,
               help='Seconds between two rotations and uploads of a MariaDB '
                    'instance\'s binary logs (the loss bound of a latest '
                    'restore).'),
    cfg.IntOpt('pitr_retention_days', default=7, min=1,
               help='Days archived WAL segments and binary logs are kept at '
                    'least; older ones are deleted by the taskmanager once '
                    'no kept backup needs them to roll forward (they closed '
                    'before the oldest kept backup started), and the '
                    'restorable window starts after them.'),
    cfg.IntOpt('pitr_prune_interval', default=600, min=10,
               help='Seconds between two passes of the taskmanager '
                    'deleting the archived WAL segments and binary logs '
                    'past pitr_retention_days that no kept backup needs.'),
    cfg.StrOpt('pitr_container', default='database_pitr',
               help='Container (or directory of the local storage) of the '
                    'archived WAL segments and binary logs.'),
    cfg.StrOpt('swift_url',
               help='Swift account URL prefix; the project id is appended '
                    '(e.g. http://host:8080/v1/AUTH_). Without it the URL '
                    'comes from the user\'s service catalog.'),
    cfg.StrOpt('swift_service_type', default='object-store',
               help='Service type of Swift in the service catalog.'),
    cfg.StrOpt('swift_endpoint_type', default='publicURL',
               help='Endpoint type (interface) of Swift in the catalog.'),
    cfg.BoolOpt('swift_api_insecure', default=False,
                help='Do not verify Swift\'s TLS certificate.'),
]

SWIFT_GROUP = cfg.OptGroup(
    'backup_swift', title='Fixed Swift credentials for backups',
    help='When auth_url is set, every Trove service and guest agent uses '
         'these credentials for backup objects instead of the requesting '
         'user\'s token (development setups without Keystone).')

swift_credential_opts = [
    cfg.StrOpt('auth_url',
               help='Auth URL: tempauth v1 (http://host:port/auth/v1.0) or '
                    'Keystone v3.'),
    cfg.StrOpt('auth_version', default='1', choices=['1', '3'],
               help='Auth protocol of auth_url.'),
    cfg.StrOpt('user', help='User name (tempauth: account:user).'),
    cfg.StrOpt('key', secret=True, help='Password or tempauth key.'),
    cfg.StrOpt('project_name', help='Keystone project (auth_version 3).'),
    cfg.StrOpt('user_domain_name', default='Default',
               help='Keystone user domain (auth_version 3).'),
    cfg.StrOpt('project_domain_name', default='Default',
               help='Keystone project domain (auth_version 3).'),
]


def register_opts(conf):
    conf.register_opts(backup_opts)
    conf.register_group(SWIFT_GROUP)
    conf.register_opts(swift_credential_opts, group=SWIFT_GROUP)


def list_opts():
    return {'DEFAULT': backup_opts, SWIFT_GROUP: swift_credential_opts}
