"""Instances as the API sees them: loading, listing and their statuses.

An ``Instance`` bundles the row with what its status depends on (service
status and when it was reported, running backups, the fault) so views and
actions never issue further queries. Listing a page is one SELECT whatever
the page size.
"""

import functools

from oslo_log import log as logging

import orjson
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm

from trove.common import exception
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import expressions
from trove.db import models as db_models
from trove.guestagent import api as guest_api
from trove.instance import listing

LOG = logging.getLogger(__name__)

Row = db_models.Instance
Backup = db_models.Backup


class Instance:
    """An instance row with everything its views and checks need."""

    def __init__(self, row, running_backup=False):
        self.row = row
        self.has_running_backup = running_backup
        # Ids of its replicas: read with a list page; set by a show.
        listed = getattr(row, 'replica_ids', None)
        self.replica_ids = listed.split(',') if listed else []
        self._parsed_json = {}
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
    def _json_column(self, name, default):
        """The value of JSON text column ``name`` (``default`` if empty or
        invalid), parsed once per text: a view reads access and addresses
        several times per instance, and a list shows a page of them."""
        text = getattr(self.row, name)
        key = (name, text)
        if key not in self._parsed_json:
            try:
                parsed = orjson.loads(text) if text else default
            except ValueError:
                parsed = default
            self._parsed_json[key] = parsed
        return self._parsed_json[key]

    @property
    def access(self):
        return self._json_column('access', None)

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
        return self._json_column('addresses', [])

    @property
    def addresses(self):
        """[{"address", "type", "network"?}]; a public instance reports
        its address as public (the local provider has just one)."""
        addresses = self._stored_addresses()
        if self.is_public and not any(a.get('type') == 'public'
                                      for a in addresses):
            addresses = [dict(a, type='public') for a in addresses]
        return addresses


@functools.cache
def _load_options():
    """Eager loads of what an instance's views and checks read (built
    once: option objects are immutable, and building them costs more than
    running the query)."""
    # Of the service status, fault and configuration only what Instance
    # and the views read: every column of the SELECT costs, as PyMySQL
    # parses each column's description in Python (65 of them were a
    # third of a show request's CPU).
    status, fault = db_models.ServiceStatusRecord, db_models.InstanceFault
    return (orm.joinedload(Row.service_status).load_only(
                status.status_id, status.updated_at),
            orm.joinedload(Row.datastore_version).joinedload(
                db_models.DatastoreVersion.datastore),
            orm.joinedload(Row.fault).load_only(
                fault.message, fault.details, fault.created, fault.updated),
            orm.joinedload(Row.configuration).load_only(
                db_models.Configuration.name))


@functools.cache
def _running_backup_column():
    return (sa.exists()
            .where(Backup.instance_id == Row.id,
                   Backup.state.in_([expressions.constant(state)
                                     for state in
                                     states.BackupState.RUNNING_STATES]),
                   Backup.deleted == sa.false())
            .correlate(Row)
            .label('running_backup'))


def _find(context, instance_id, include_deleted, *extra, joins=()):
    """The row of one instance visible to the caller with its running
    backup and ``extra`` columns or entities (outer-joined by
    ``joins``), read in one SELECT; InstanceNotFound (404) if none."""
    if not uuidutils.is_uuid_like(instance_id):
        raise exception.InstanceNotFound(instance=instance_id)

    def find(session):
        query = session.query(Row, _running_backup_column(), *extra)
        for target, condition in joins:
            query = query.outerjoin(target, condition)
        query = (query.options(*_load_options())
                 .filter(Row.id == instance_id))
        if not include_deleted:
            query = query.filter(Row.deleted == sa.false())
        if not context.is_admin:
            query = query.filter(Row.tenant_id == context.project_id)
        return query.first()
    found = db_api.read_objects(context, find)
    if found is None:
        raise exception.InstanceNotFound(instance=instance_id)
    return found


def load(context, instance_id, include_deleted=False):
    """One instance visible to the caller, or InstanceNotFound (404)."""
    row, running_backup = _find(context, instance_id, include_deleted)
    return Instance(row, running_backup=bool(running_backup))


class Shown:
    """What showing an instance reads beside the instance itself: whether
    it has archived logs (a point-in-time window needs them), the record
    of the point-in-time restore that made it and the work due on it
    (rows, or None). (Its replicas are read on their own: SQLite before
    3.44 cannot order the aggregate that would join them.)"""

    def __init__(self, has_archives, restore, work):
        self.has_archives = has_archives
        self.restore = restore
        self.work = work


@functools.cache
def _has_archives_column():
    archive = db_models.PitrArchive
    return (sa.exists().where(archive.instance_id == Row.id)
            .correlate(Row).label('has_archives'))


def load_shown(context, instance_id):
    """``load`` and, in the same SELECT, what ``GET /instances/{id}``
    shows beside the instance (a ``Shown``): one round trip instead of
    four (the archive index and the backups, for the point-in-time
    window, are read afterwards only when it has archived logs)."""
    restore, work = db_models.PitrRestore, db_models.WorkClaim
    row, running_backup, has_archives, restored, due = _find(
        context, instance_id, False, _has_archives_column(), restore, work,
        joins=((restore, restore.instance_id == Row.id),
               (work, work.resource_id == Row.id)))
    return (Instance(row, running_backup=bool(running_backup)),
            Shown(bool(has_archives), restored, due))


def list_page(context, limit, marker=None, detail=False,
              include_clustered=False, project_id=None, all_projects=False):
    """A page of a project's live instances, newest first.

    Returns ``limit + 1`` instances at most; the extra one tells that a
    next page exists. ``marker`` is the id of the last instance shown.
    """
    rows = listing.read_page(
        context, _running_backup_column(), limit, marker=marker,
        detail=detail, include_clustered=include_clustered,
        project_id=project_id, all_projects=all_projects)
    return [Instance(row, row.running_backup) for row in rows]


def instances_using_configuration(context, configuration_id):
    with db_api.reader(context) as session:
        return session.query(Row.id, Row.name).filter(
            Row.configuration_id == configuration_id,
            Row.deleted == sa.false()).all()


def cluster_members(context, cluster_id):
    """The live members of a cluster, oldest first, those created
    together by name (one SELECT)."""
    def find(session):
        return (session.query(Row, _running_backup_column())
                .options(*_load_options())
                .filter(Row.cluster_id == cluster_id,
                        Row.deleted == sa.false())
                .order_by(Row.created, Row.name, Row.id).all())
    return [Instance(row, running_backup=bool(running))
            for row, running in db_api.read_objects(context, find)]


def list_for_admin(context, deleted=None, project_id=None,
                   include_clustered=False):
    """Every project's instances for the management list, newest first:
    live and deleted ones (``deleted`` None), or only one kind."""
    def find(session):
        query = (session.query(Row, _running_backup_column())
                 .options(*_load_options()))
        if deleted is not None:
            query = query.filter(Row.deleted == sa.true() if deleted
                                 else Row.deleted == sa.false())
        if project_id:
            query = query.filter(Row.tenant_id == project_id)
        if not include_clustered:
            query = query.filter(Row.cluster_id.is_(None))
        return query.order_by(Row.created.desc(), Row.id).all()
    return [Instance(row, running_backup=bool(running))
            for row, running in db_api.read_objects(context, find)]


def guest_volume_info(context, instance):
    """The guest's view of its volume ({used, total} GB), when it can
    answer quickly; None otherwise."""
    if (instance.row.volume_size is None or instance.row.deleted
            or instance.status in states.AGENT_INVALID_STATUSES
            or instance.service_status not in
            states.ACTION_ALLOWED_SERVICE_STATUSES):
        return None
    try:
        return guest_api.API(context, instance.id).get_volume_info()
    except exception.TroveError as error:
        LOG.info('No volume usage for %s: %s', instance.id, error)
        return None
