"""The automatic failover settings of a primary in the API.

``PATCH``/``PUT /instances/{id}`` with the extension keys
``auto_failover`` (bool) and ``replication_mode`` ("async" | "sync");
the detail view shows them with ``replication_epoch``. Checked here (400
before anything changes): only a primary of a datastore with replication
takes them, sync needs a replica; the only replica of a sync primary
cannot be detached or deleted (that would leave acknowledged writes
waiting for nobody).
"""

from trove.common import datastore_registry
from trove.common import exception
from trove.instance import actions
from trove.instance import models
from trove.instance import replication
from trove.records import replication_sets
from trove.taskmanager import api as taskmanager_api

KEYS = ('auto_failover', 'replication_mode')


def requested(data):
    return any(key in data for key in KEYS)


def update(context, instance, data):
    others = [key for key in data if key not in KEYS]
    if others:
        raise exception.BadRequest(
            'auto_failover and replication_mode cannot be updated together '
            'with %s.' % ', '.join(sorted(others)))
    row = instance.row
    if row.slave_of_id:
        raise exception.BadRequest(
            'Instance %s is a replica: auto_failover and replication_mode '
            'are settings of its primary %s.' % (instance.id,
                                                  row.slave_of_id))
    if not datastore_registry.replication_strategy(instance.manager):
        raise exception.ReplicationNotSupported(
            datastore=instance.datastore.name)
    mode = data.get('replication_mode')
    if 'replication_mode' in data and mode not in replication_sets.MODES:
        raise exception.BadRequest(
            'replication_mode must be one of %s, not %r.'
            % (', '.join(replication_sets.MODES), mode))
    if mode == 'sync' and not replication.replica_ids(context, instance.id):
        raise exception.BadRequest(
            'Instance %s has no replica: synchronous replication needs one '
            'to acknowledge each commit.' % instance.id)
    if 'auto_failover' in data and not isinstance(data['auto_failover'],
                                                  bool):
        raise exception.BadRequest('auto_failover must be true or false.')
    replication_sets.set_settings(context, instance.id,
                                  **{k: data[k] for k in KEYS if k in data})
    if 'replication_mode' in data:
        # The guests switch in the taskmanager (every member of the set).
        actions.nudge(instance.id, lambda: taskmanager_api.API(
            context).set_replication_mode(instance.id))


def check_leaving(context, instance, what):
    """400 when ``instance`` is the only replica of a sync primary."""
    source_id = instance.row.slave_of_id
    if not source_id:
        return
    source = _row(context, source_id)
    if source is None:
        return
    _auto, mode = replication_sets.failover_settings(source)
    if mode == 'sync' and replication.replica_ids(context, source_id) == [
            instance.id]:
        raise exception.BadRequest(
            'Instance %s is the only replica of %s, whose replication is '
            'synchronous: set its replication_mode to async before it is '
            '%s.' % (instance.id, source_id, what))


def _row(context, instance_id):
    try:
        return models.load(context, instance_id).row
    except exception.InstanceNotFound:
        return None

