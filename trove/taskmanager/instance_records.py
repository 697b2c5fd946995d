"""The taskmanager's reads and writes of instance rows.

Only the columns the taskmanager owns are written here: the task, the
server's status, ids and addresses, sizes, and the soft delete. Updates
are single UPDATE statements that skip deleted rows, so a flow finishing
late can never resurrect an instance deleted meanwhile.
"""

import dataclasses
import datetime
import json

import sqlalchemy as sa

from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import faults

Row = db_models.Instance

# Columns flows may set besides the task.
WRITABLE = frozenset(['server_status', 'compute_instance_id', 'volume_id',
                      'addresses', 'volume_size', 'flavor_id',
                      'server_group_id', 'slave_of_id',
                      'datastore_version_id'])


@dataclasses.dataclass
class InstanceRecord:
    """What the flows need to know about an instance."""

    id: str
    name: str | None
    tenant_id: str | None
    task: states.InstanceTask
    deleted: bool
    flavor_id: str | None
    volume_size: int | None
    volume_id: str | None
    compute_instance_id: str | None
    server_status: str | None
    datastore_name: str | None = None
    datastore_version_name: str | None = None
    datastore_version_number: str | None = None
    datastore_manager: str | None = None
    datastore_version_id: str | None = None
    image_id: str | None = None
    image_tags: list = dataclasses.field(default_factory=list)
    packages: str | None = None
    availability_zone: str | None = None
    volume_type: str | None = None
    nics: list = dataclasses.field(default_factory=list)
    locality: str | None = None
    server_group_id: str | None = None
    configuration_id: str | None = None
    access: dict | None = None
    addresses: list = dataclasses.field(default_factory=list)
    slave_of_id: str | None = None
    cluster_id: str | None = None
    encrypted_key: str | None = None

    @property
    def gone(self):
        """Deleted, or being deleted: work on it must stop quietly."""
        return self.deleted or self.task is states.InstanceTasks.DELETING


def load(context, instance_id):
    """The instance (deleted or not), or None if there is no such row."""
    with db_api.reader(context) as session:
        row = session.get(Row, instance_id)
        if row is None:
            return None
        record = InstanceRecord(
            id=row.id, name=row.name, tenant_id=row.tenant_id,
            task=states.InstanceTasks.from_code(row.task_id)
            if row.task_id else states.InstanceTasks.NONE,
            deleted=bool(row.deleted), flavor_id=row.flavor_id,
            volume_size=row.volume_size, volume_id=row.volume_id,
            compute_instance_id=row.compute_instance_id,
            server_status=row.server_status,
            availability_zone=row.availability_zone,
            volume_type=row.volume_type, nics=_json(row.nics, []),
            locality=row.locality, server_group_id=row.server_group_id,
            configuration_id=row.configuration_id,
            datastore_version_id=row.datastore_version_id,
            access=_json(row.access, None),
            addresses=_json(row.addresses, []),
            slave_of_id=row.slave_of_id, cluster_id=row.cluster_id,
            encrypted_key=row.encrypted_key)
        if row.datastore_version_id:
            version = session.get(db_models.DatastoreVersion,
                                  row.datastore_version_id)
            if version is not None:
                datastore = session.get(db_models.Datastore,
                                        version.datastore_id)
                record.datastore_name = datastore.name if datastore else None
                record.datastore_version_name = version.name
                record.datastore_version_number = version.version
                record.datastore_manager = version.manager
                record.image_id = version.image_id
                record.image_tags = _tags(version.image_tags)
                record.packages = version.packages
    return record


def _json(text, default):
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


def _tags(text):
    if not text:
        return []
    return [tag.strip() for tag in str(text).split(',') if tag.strip()]


def is_gone(context, instance_id):
    record = load(context, instance_id)
    return record is None or record.gone


def _values(task=None, **values):
    unknown = set(values) - WRITABLE
    if unknown:
        raise ValueError('not a taskmanager column: %s' % sorted(unknown))
    if 'addresses' in values and not isinstance(values['addresses'],
                                                (str, type(None))):
        values['addresses'] = json.dumps(values['addresses'])
    now = db_models.utcnow()
    if task is not None:
        values.update(task_id=task.code, task_description=task.db_text)
        if task is not states.InstanceTasks.NONE and not task.is_error:
            values['task_start_time'] = now
    values['updated'] = now
    return values


def update(context, instance_id, task=None, only_if_task=None, **values):
    """Set columns (and optionally the task) of a live instance.

    ``only_if_task`` makes the change conditional on the current task, so
    two writers (a flow and the stuck-task check) never undo each other.
    Returns whether a row changed.
    """
    query = sa.update(Row).where(Row.id == instance_id,
                                 Row.deleted == sa.false())
    if only_if_task is not None:
        query = query.where(Row.task_id == only_if_task.code)
    with db_api.writer(context) as session:
        result = session.execute(query.values(**_values(task, **values)))
        return result.rowcount > 0


def set_task(context, instance_id, task, **values):
    return update(context, instance_id, task=task, **values)


def fail(context, instance_id, task, message, details='', only_if_task=None):
    """The error ``task`` and the fault (unless ``message`` is None: the
    guest's own is kept) in ONE transaction: a reader never sees an
    error task without its reason. Nothing is written if another task
    took the instance over (``only_if_task``); returns whether written."""
    query = sa.update(Row).where(Row.id == instance_id,
                                 Row.deleted == sa.false())
    if only_if_task is not None:
        query = query.where(Row.task_id == only_if_task.code)
    with db_api.writer(context) as session:
        if not session.execute(query.values(**_values(task))).rowcount:
            return False
        if message is not None:
            faults.save_in(session, instance_id, message, details)
    return True


def soft_delete(context, instance_id):
    """The row stays for history; it no longer counts as an instance."""
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        session.execute(
            sa.update(Row).where(Row.id == instance_id).values(
                deleted=True, deleted_at=now, updated=now,
                task_id=states.InstanceTasks.NONE.code,
                task_description=states.InstanceTasks.NONE.db_text,
                server_status=states.ServerStatus.DELETED,
                configuration_id=None, slave_of_id=None))


def set_replica_source(context, source_id, followers, old_source_rejoins,
                       old_source_id=None):
    """``source_id`` is the source of its set: it replicates from nobody,
    ``followers`` replicate from it (and the old source too, if it
    rejoins), in one transaction."""
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == source_id).values(
            slave_of_id=None, updated=now))
        if followers:
            session.execute(sa.update(Row).where(
                Row.id.in_(list(followers)), Row.deleted == sa.false())
                .values(slave_of_id=source_id, updated=now))
        if old_source_id:
            session.execute(sa.update(Row).where(Row.id == old_source_id)
                            .values(slave_of_id=source_id
                                    if old_source_rejoins else None,
                                    updated=now))


def fault_exists(context, instance_id):
    with db_api.reader(context) as session:
        return session.query(db_models.InstanceFault).filter_by(
            instance_id=instance_id, deleted=False).first() is not None


def stuck_in(context, task, older_than):
    """Ids of live instances in ``task`` since before ``older_than``
    (the task's start time, else the row's last update)."""
    started = sa.func.coalesce(Row.task_start_time, Row.updated)
    with db_api.reader(context) as session:
        return [row_id for (row_id,) in session.query(Row.id).filter(
            Row.deleted == sa.false(), Row.task_id == task.code,
            started < older_than)]


def seconds_ago(seconds):
    return db_models.utcnow() - datetime.timedelta(seconds=seconds)
