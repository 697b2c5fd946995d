"""The guest manager shared by MariaDB and MySQL.

Everything engine-specific of the MySQL family lives in the Engine
subclass (mysql_common.app); this class exists so MySQL-family-only RPC
methods (users, databases, root, replication in later tasks) have one
home.
"""

from trove.guestagent.datastore import manager


class MySqlFamilyManager(manager.Manager):
    pass
