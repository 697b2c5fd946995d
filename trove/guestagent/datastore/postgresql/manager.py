"""Guest manager of the postgresql datastore (named by datastore_registry)."""

from trove.guestagent.datastore import manager
from trove.guestagent.datastore.postgresql import app


class Manager(manager.Manager):
    manager_name = 'postgresql'
    engine_class = app.PostgresEngine
