"""Guest manager of the mariadb datastore (named by datastore_registry):
the MySQL-family endpoints plus those of a Galera cluster member."""

from trove.guestagent.datastore import cluster_endpoints
from trove.guestagent.datastore.mariadb import app
from trove.guestagent.datastore.mysql_common import manager


class Manager(cluster_endpoints.GaleraEndpoints,
              manager.MySqlFamilyManager):
    manager_name = 'mariadb'
    engine_class = app.MariaDBEngine
