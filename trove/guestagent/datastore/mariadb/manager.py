"""Guest manager of the mariadb datastore (named by datastore_registry)."""

from trove.guestagent.datastore.mariadb import app
from trove.guestagent.datastore.mysql_common import manager


class Manager(manager.MySqlFamilyManager):
    manager_name = 'mariadb'
    engine_class = app.MariaDBEngine
