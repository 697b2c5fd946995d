"""The control database: models, queries and migrations.

Reached by the API, the taskmanager and the conductor; never by the guest
agent, which holds no credentials for it.
"""

from trove.conf import CONF
from trove.conf import database as _database_conf

# [database] exists in every process that imports trove.db (and only in
# those: the guest agent never loads oslo.db).
_database_conf.register_opts(CONF)
