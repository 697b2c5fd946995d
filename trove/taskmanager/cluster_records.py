"""The taskmanager's reads and writes of cluster rows.

The cluster flows read a cluster and its live members here and write only
the cluster's task, its datastore version (an upgrade) and its soft
delete; members are instances, written through instance_records.
"""

import dataclasses

import sqlalchemy as sa

from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.taskmanager import instance_records

Row = db_models.Cluster
Member = db_models.Instance


@dataclasses.dataclass
class ClusterRecord:
    id: str
    name: str
    tenant_id: str
    task: states.ClusterTask
    deleted: bool
    datastore_version_id: str
    locality: str | None = None


def load(context, cluster_id):
    """The cluster (deleted or not), or None."""
    with db_api.reader(context) as session:
        row = session.get(Row, cluster_id)
        if row is None:
            return None
        return ClusterRecord(
            id=row.id, name=row.name, tenant_id=row.tenant_id,
            task=states.ClusterTasks.from_code(row.task_id),
            deleted=bool(row.deleted),
            datastore_version_id=row.datastore_version_id,
            locality=row.locality)


def idle_ids(context):
    """Live clusters with no task."""
    with db_api.reader(context) as session:
        return [cluster_id for (cluster_id,) in session.query(Row.id).filter(
            Row.deleted == sa.false(),
            Row.task_id == states.ClusterTasks.NONE.code)]


def member_ids(context, cluster_id):
    """Live members (deleting ones included), oldest first."""
    with db_api.reader(context) as session:
        return [member_id for (member_id,) in session.query(Member.id).filter(
            Member.cluster_id == cluster_id, Member.deleted == sa.false())
            .order_by(Member.created, Member.name, Member.id)]


def members(context, cluster_id):
    """InstanceRecords of the live members that are not being deleted."""
    found = [instance_records.load(context, member_id)
             for member_id in member_ids(context, cluster_id)]
    return [record for record in found
            if record is not None and not record.gone]


def server_group_ids(context, cluster_id):
    """The server groups its members (live or deleted) were placed in."""
    with db_api.reader(context) as session:
        return sorted({group_id for (group_id,) in session.query(
            Member.server_group_id).filter(
            Member.cluster_id == cluster_id,
            Member.server_group_id.isnot(None))})


def set_task(context, cluster_id, task, only_if_task=None):
    query = sa.update(Row).where(Row.id == cluster_id,
                                 Row.deleted == sa.false())
    if only_if_task is not None:
        query = query.where(Row.task_id == only_if_task.code)
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        return session.execute(query.values(
            task_id=task.code, task_start_time=now,
            updated=now)).rowcount > 0


def set_version(context, cluster_id, version_id):
    """The cluster and its members run ``version_id`` (an upgrade)."""
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == cluster_id).values(
            datastore_version_id=version_id, updated=now))
        session.execute(sa.update(Member).where(
            Member.cluster_id == cluster_id,
            Member.deleted == sa.false()).values(
            datastore_version_id=version_id, updated=now))


def soft_delete(context, cluster_id):
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == cluster_id).values(
            deleted=True, deleted_at=now, updated=now,
            task_id=states.ClusterTasks.NONE.code))
