"""The guest manager shared by MariaDB and MySQL.

Everything engine-specific of the MySQL family lives in the Engine
subclass (mysql_common.app) and its admin object (mysql_common.admin);
the databases/users/root endpoints come from sql_endpoints.
"""

from trove.guestagent.datastore import manager
from trove.guestagent.datastore import sql_endpoints


class MySqlFamilyManager(sql_endpoints.SqlAdminEndpoints, manager.Manager):
    pass
