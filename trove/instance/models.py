"""Instances as the API sees them: loading, listing and their statuses.

An ``Instance`` bundles the row with what its status depends on (service
status and when it was reported, running backups, the fault) so views and
actions never issue further queries. Listing a page is one SELECT whatever
the page size.
"""

import json

from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm

from trove.common import exception
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

Row = db_models.Instance
Backup = db_models.Backup


class Instance:
    """An instance row with everything its views and checks need."""

    def __init__(self, row, running_backup=False):
        self.row = row
        self.has_running_backup = running_backup
        status_row = row.service_status
        if status_row is not None:
            self.stored_service_status = states.ServiceStatuses.from_code(
                status_row.status_id)
            self.service_status_updated = status_row.updated_at
        else:
            self.stored_service_status = states.ServiceStatuses.NEW
            self.service_status_updated = None

    # Identity ------------------------------------------------------------
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
    def datastore_version(self):
        return self.row.datastore_version

    @property
    def datastore(self):
        return self.row.datastore_version.datastore

    @property
    def manager(self):
        return self.row.datastore_version.manager

    # Status ----------------------------------------------------------------
    @property
    def task(self):
        return states.InstanceTasks.from_code(self.row.task_id)

    @property
    def server_status(self):
        # While building, the server's own status is not shown (upstream
        # forces BUILD), except an ERROR that explains a failed build.
        if (self.task.action == 'BUILDING' and not self.task.is_error
                and self.row.server_status != states.ServerStatus.ERROR):
            return states.ServerStatus.BUILD
        return self.row.server_status

    @property
    def service_status(self):
        return states.effective_service_status(
            self.task, self.stored_service_status,
            self.service_status_updated, db_models.utcnow(),
            CONF.agent_heartbeat_expiry)

    @property
    def status(self):
        return states.instance_status(self.task, self.server_status,
                                      self.has_running_backup)

    @property
    def operating_status(self):
        return states.operating_status(self.task, self.server_status,
                                       self.service_status)

    @property
    def fault(self):
        return self.row.fault

    # Attributes ------------------------------------------------------------
    @property
    def access(self):
        if self.row.access:
            try:
                return json.loads(self.row.access)
            except ValueError:
                pass
        return None

    @property
    def is_public(self):
        """The stored choice; without one, as upstream: whether the server
        has a public address."""
        access = self.access
        if access is None:
            return any(a.get('type') == 'public'
                       for a in self._stored_addresses())
        return bool(access.get('is_public'))

    def _stored_addresses(self):
        try:
            return json.loads(self.row.addresses or '[]')
        except ValueError:
            return []

    @property
    def addresses(self):
        """[{"address", "type", "network"?}]; a public instance reports
        its address as public (the local provider has just one)."""
        addresses = self._stored_addresses()
        if self.is_public and not any(a.get('type') == 'public'
                                      for a in addresses):
            addresses = [dict(a, type='public') for a in addresses]
        return addresses


def _load_options(detail):
    options = [
        orm.joinedload(Row.service_status),
        orm.joinedload(Row.datastore_version).joinedload(
            db_models.DatastoreVersion.datastore),
    ]
    if detail:
        options.append(orm.joinedload(Row.fault))
        options.append(orm.joinedload(Row.configuration))
    return options


def _running_backup_column():
    return (sa.exists()
            .where(Backup.instance_id == Row.id,
                   Backup.state.in_(states.BackupState.RUNNING_STATES),
                   Backup.deleted == sa.false())
            .correlate(Row)
            .label('running_backup'))


def load(context, instance_id, include_deleted=False):
    """One instance visible to the caller, or InstanceNotFound (404)."""
    if not uuidutils.is_uuid_like(instance_id):
        raise exception.InstanceNotFound(instance=instance_id)
    with db_api.reader(context) as session:
        query = (session.query(Row, _running_backup_column())
                 .options(*_load_options(detail=True))
                 .filter(Row.id == instance_id))
        if not include_deleted:
            query = query.filter(Row.deleted == sa.false())
        if not context.is_admin:
            query = query.filter(Row.tenant_id == context.project_id)
        found = query.first()
    if found is None:
        raise exception.InstanceNotFound(instance=instance_id)
    row, running_backup = found
    return Instance(row, running_backup=bool(running_backup))


def list_page(context, limit, marker=None, detail=False,
              include_clustered=False, project_id=None, all_projects=False):
    """A page of a project's live instances, newest first.

    Returns ``limit + 1`` instances at most; the extra one tells that a
    next page exists. ``marker`` is the id of the last instance shown.
    """
    with db_api.reader(context) as session:
        query = (session.query(Row, _running_backup_column())
                 .options(*_load_options(detail))
                 .filter(Row.deleted == sa.false()))
        if not all_projects:
            query = query.filter(
                Row.tenant_id == (project_id or context.project_id))
        if not include_clustered:
            query = query.filter(Row.cluster_id.is_(None))
        if marker:
            query = _after_marker(session, query, marker)
        query = query.order_by(Row.created.desc(), Row.id.desc())
        rows = query.limit(limit + 1).all()
    return [Instance(row, bool(running)) for row, running in rows]


def _after_marker(session, query, marker):
    """Rows after the marker instance in (created desc, id desc) order."""
    marker_created = (sa.select(Row.created).where(Row.id == marker)
                      .scalar_subquery())
    return query.filter(sa.or_(
        Row.created < marker_created,
        sa.and_(Row.created == marker_created, Row.id < marker)))


def instances_using_configuration(context, configuration_id):
    with db_api.reader(context) as session:
        return session.query(Row.id, Row.name).filter(
            Row.configuration_id == configuration_id,
            Row.deleted == sa.false()).all()
