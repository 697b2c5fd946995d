"""Clusters as the API sees them: loading, listing, and their members.

A ``Cluster`` bundles the cluster row with its live members (each an
``trove.instance.models.Instance``) so views and checks issue no further
queries. Which datastores may form clusters is a datastore option
(``[<manager>] cluster_support``), as upstream.
"""

from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm

from trove.common import exception
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.instance import models as instance_models

Row = db_models.Cluster
Tasks = states.ClusterTasks
# Member statuses that count as "synced": in the primary component and
# answering (a Galera member reports NON_PRIMARY when it lost quorum).
SYNCED_STATUSES = frozenset([states.ServiceStatuses.HEALTHY,
                             states.ServiceStatuses.RUNNING])


def cluster_option(manager, name, default=None):
    try:
        return getattr(CONF.get(manager), name)
    except Exception:   # no such group or option: not a cluster datastore
        return default


def supports_clusters(manager):
    return bool(cluster_option(manager, 'cluster_support', False))


class Cluster:
    """A cluster row with its members."""

    def __init__(self, row, members):
        self.row = row
        self.members = members

    @property
    def id(self):
        return self.row.id

    @property
    def name(self):
        return self.row.name

    @property
    def tenant_id(self):
        return self.row.tenant_id

    @property
    def task(self):
        return Tasks.from_code(self.row.task_id)

    @property
    def datastore_version(self):
        return self.row.datastore_version

    @property
    def manager(self):
        return self.row.datastore_version.manager

    def member(self, instance_id):
        for member in self.members:
            if member.id == instance_id:
                return member
        raise exception.InstanceNotFound(instance=instance_id)

    @property
    def synced_count(self):
        """Members in the primary component and answering, by their
        latest heartbeat (an expired heartbeat does not count)."""
        return sum(1 for member in self.members
                   if member.task is states.InstanceTasks.NONE
                   and member.service_status in SYNCED_STATUSES)

    def validate_available(self, allowed=(Tasks.NONE,)):
        """422 while the cluster has a task (upstream's rule)."""
        if self.task not in allowed:
            raise exception.ClusterNotAvailable(task=self.task.name)


def _load_options():
    return (orm.joinedload(Row.datastore_version).joinedload(
        db_models.DatastoreVersion.datastore),)


def load(context, cluster_id, include_deleted=False):
    """A cluster visible to the caller, or ClusterNotFound (404)."""
    if not uuidutils.is_uuid_like(cluster_id):
        raise exception.ClusterNotFound(cluster=cluster_id)

    def find(session):
        query = session.query(Row).options(*_load_options()).filter(
            Row.id == cluster_id)
        if not include_deleted:
            query = query.filter(Row.deleted == sa.false())
        if not context.is_admin:
            query = query.filter(Row.tenant_id == context.project_id)
        return query.first()
    row = db_api.read_objects(context, find)
    if row is None:
        raise exception.ClusterNotFound(cluster=cluster_id)
    members = [] if row.deleted else instance_models.cluster_members(
        context, row.id)
    return Cluster(row, members)


def list_page(context, limit, marker=None, project_id=None,
              include_deleted=False, all_projects=False):
    """A page of clusters, newest first (``limit + 1`` at most)."""
    def find(session):
        query = session.query(Row).options(*_load_options())
        if not include_deleted:
            query = query.filter(Row.deleted == sa.false())
        if not all_projects:
            query = query.filter(Row.tenant_id == (project_id
                                                   or context.project_id))
        if marker:
            after = session.get(Row, marker)
            if after is not None:
                query = query.filter(sa.or_(
                    Row.created < after.created,
                    sa.and_(Row.created == after.created,
                            Row.id < after.id)))
        return query.order_by(Row.created.desc(), Row.id.desc()).limit(
            limit + 1).all()
    rows = db_api.read_objects(context, find)
    return [Cluster(row, [] if row.deleted else
                    instance_models.cluster_members(context, row.id))
            for row in rows]


def set_task(session, cluster_id, task):
    now = db_models.utcnow()
    session.execute(sa.update(Row).where(Row.id == cluster_id).values(
        task_id=task.code, task_start_time=now, updated=now))
