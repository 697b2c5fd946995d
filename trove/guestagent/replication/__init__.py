"""Replication in the guest agent: one strategy per datastore.

``for_manager`` builds the strategy the datastore registry names for the
agent's datastore (MariaDB GTID, PostgreSQL streaming). The manager's
replication endpoints (trove.guestagent.datastore.replication_endpoints)
call it; nothing here talks to the control plane.
"""

from oslo_utils import importutils

from trove.common import datastore_registry
from trove.guestagent import errors


def for_manager(manager_name, engine):
    path = datastore_registry.replication_strategy(manager_name)
    if not path:
        raise errors.NotSupported('Replication is not supported for %s.'
                                  % manager_name)
    return importutils.import_class(path)(engine)
