"""[mariadb]: options of the MariaDB datastore."""

from oslo_config import cfg

from trove.conf.datastore_common import cluster_opts, datastore_opts

GROUP = cfg.OptGroup('mariadb', title='MariaDB datastore')

mariadb_opts = datastore_opts(
    tcp_ports=['3306', '4444', '4567', '4568'],
    mount_point='/var/lib/mysql',
    ignore_users=['os_admin', 'root'],
    ignore_dbs=['mysql', 'information_schema', 'performance_schema', 'sys'],
    backup_strategy='mariabackup',
    replication_strategy='MariaDBGTIDReplication',
    replication_namespace=(
        'trove.guestagent.strategies.replication.mariadb_gtid'),
    service_uname='mysql',
    usage_timeout=400,
) + cluster_opts(cluster_support=True)


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(mariadb_opts, group=GROUP)


def list_opts():
    return {GROUP: mariadb_opts}
