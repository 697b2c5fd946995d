"""Guest manager of the postgresql datastore (named by datastore_registry)."""

from trove.guestagent.datastore import manager
from trove.guestagent.datastore import sql_endpoints
from trove.guestagent.datastore.postgresql import app


class Manager(sql_endpoints.SqlAdminEndpoints, manager.Manager):
    manager_name = 'postgresql'
    engine_class = app.PostgresEngine
