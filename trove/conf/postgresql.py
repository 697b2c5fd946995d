"""[postgresql]: options of the PostgreSQL datastore."""

from oslo_config import cfg

from trove.conf.datastore_common import datastore_opts

GROUP = cfg.OptGroup('postgresql', title='PostgreSQL datastore')

postgresql_opts = datastore_opts(
    tcp_ports=['5432'],
    mount_point='/var/lib/postgresql',
    ignore_users=['os_admin', 'postgres'],
    ignore_dbs=['os_admin', 'postgres'],
    backup_strategy='pg_basebackup',
    replication_strategy='PostgresqlReplicationStreaming',
    replication_namespace='trove.guestagent.strategies.replication.postgresql',
    service_uname='postgres',
    exposed_logs=('general',),
    long_query_time=0,
)


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(postgresql_opts, group=GROUP)


def list_opts():
    return {GROUP: postgresql_opts}
