"""Guest manager of the mysql datastore (named by datastore_registry)."""

from trove.guestagent.datastore.mysql import app
from trove.guestagent.datastore.mysql_common import manager


class Manager(manager.MySqlFamilyManager):
    manager_name = 'mysql'
    engine_class = app.MySqlEngine
