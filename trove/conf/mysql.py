"""[mysql]: options of the MySQL datastore."""

from oslo_config import cfg

from trove.conf.datastore_common import datastore_opts

GROUP = cfg.OptGroup('mysql', title='MySQL datastore')

mysql_opts = datastore_opts(
    tcp_ports=['3306'],
    mount_point='/var/lib/mysql',
    ignore_users=['os_admin', 'root'],
    ignore_dbs=['mysql', 'information_schema', 'performance_schema', 'sys'],
    backup_strategy='xtrabackup',
    replication_strategy='MysqlGTIDReplication',
    replication_namespace='trove.guestagent.strategies.replication.mysql_gtid',
    service_uname='mysql',
    usage_timeout=400,
)


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(mysql_opts, group=GROUP)


def list_opts():
    return {GROUP: mysql_opts}
