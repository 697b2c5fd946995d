"""Which guest manager, backup and replication strategy serve each datastore.

Shared by the control plane (stored per datastore version, injected into
``guest_info.conf``) and the guest agent (which class to load). Holds only
names, so the guest can import it without touching control-plane code.
"""

MANAGERS = {
    'mysql': 'trove.guestagent.datastore.mysql.manager.Manager',
    'mariadb': 'trove.guestagent.datastore.mariadb.manager.Manager',
    'postgresql': 'trove.guestagent.datastore.postgresql.manager.Manager',
}

# [<manager>] backup_strategy -> the guest class implementing it.
BACKUP_STRATEGIES = {
    'mariabackup': 'trove.guestagent.backup.mariadb.MariaBackup',
    'pg_basebackup': 'trove.guestagent.backup.postgresql.PgBaseBackup',
}

# The guest's replication strategy of each datastore manager (MySQL's
# GTIDs differ from MariaDB's and are not implemented: no replication).
REPLICATION_STRATEGIES = {
    'mariadb': 'trove.guestagent.replication.mariadb_gtid.'
               'MariaDBGTIDReplication',
    'postgresql': 'trove.guestagent.replication.postgresql_streaming.'
                  'PostgresStreamingReplication',
}


def manager_class(manager):
    return MANAGERS.get(manager, '')


def replication_strategy(manager):
    return REPLICATION_STRATEGIES.get(manager, '')
