"""Backups as the API sees them: lookup, listing, creation and deletion.

Rows are loaded with their datastore version and datastore in the same
SELECT, so showing or listing any number of backups is one statement.
Creation checks everything a user can get wrong before a row exists,
reserves the ``backups`` quota and casts the work to the taskmanager;
deletion removes children first, refuses running backups (until they
expire) and releases the quota; the taskmanager deletes the objects.
"""

import datetime
import functools
import types

from oslo_log import log as logging
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm

from trove.common import exception
from trove.common import states
from trove.conf import CONF
from trove.datastore import models as datastore_models
from trove.db import api as db_api
from trove.db import expressions
from trove.db import models as db_models
from trove.quota import quota
from trove.records import work_claims as claims
from trove.taskmanager import api as taskmanager_api

LOG = logging.getLogger(__name__)

Row = db_models.Backup
Version = db_models.DatastoreVersion
BackupState = states.BackupState

FULL = 'full'
INCREMENTAL = 'incremental'


class ParentBackupNotUsable(exception.Conflict):
    message = ('Backup %(parent_id)s cannot be the parent of an incremental '
               'backup: %(reason)s.')


class BackupRunning(exception.UnprocessableEntity):
    message = ('Backup %(backup_id)s is still running (status %(state)s); '
               'it can be deleted once it ends or after '
               '%(days)s day(s).')


def _query(session):
    return (session.query(Row)
            .options(orm.joinedload(Row.datastore_version)
                     .joinedload(Version.datastore))
            .filter(Row.deleted == sa.false()))


def load(context, backup_id):
    """A live backup visible to the caller, or BackupNotFound (404)."""
    if not uuidutils.is_uuid_like(backup_id):
        raise exception.BackupNotFound(uuid=backup_id)

    def find(session):
        query = _query(session).filter(Row.id == backup_id)
        if not context.is_admin:
            query = query.filter(Row.tenant_id == context.project_id)
        return query.first()
    row = db_api.read_objects(context, find)
    if row is None:
        raise exception.BackupNotFound(uuid=backup_id)
    return row


def list_page(context, limit, offset=0, after=None, datastore=None,
              instance_id=None, project_id=None, all_projects=False):
    """``limit + 1`` backups at most, most recently updated first
    (upstream's order): from ``offset`` (upstream's integer marker), or
    after the backup whose (updated, id) is ``after`` (the key marker of
    this API's next links, which costs the same on every page)."""
    datastore_ids = None
    if datastore:
        found, _versions = datastore_models.get_datastore(context, datastore)
        datastore_ids = [found.id]
    query = _page_query(all_projects, bool(instance_id),
                        datastore_ids is not None, after is not None,
                        after is None and offset > 0)
    parameters = {'project_id': project_id or context.project_id,
                  'instance_id': instance_id, 'datastore_ids': datastore_ids,
                  'offset': 0 if after is not None else offset,
                  'limit': limit + 1}
    if after is not None:
        parameters['after_updated'], parameters['after_id'] = after
    versions = {}
    return [ListedBackup(row, versions)
            for row in db_api.read_rows(context, query, parameters)]


# The columns views.backup_view shows: every column costs on every row
# (the driver parses rows in Python); the times come as the API's text.
# (A JSON document per row, as instance pages are read, costs MariaDB
# more than it saves the driver for this narrow table.)
_LISTED_COLUMNS = (
    Row.id, Row.name, Row.description, Row.location, Row.instance_id,
    expressions.iso_seconds(Row.created).label('created'),
    expressions.iso_seconds(Row.updated).label('updated'),
    Row.size, Row.state, Row.parent_id,
    Row.tenant_id, Row.storage_driver, Row.datastore_version_id,
    # The page key of the row as stored: the next link's marker.
    Row.updated.label('page_updated'))


class ListedBackup:
    """A backup row read for a list: its columns as attributes and its
    datastore version, like an ORM row to the views, without the ORM's
    per-object bookkeeping (a page of 100 loads several times faster)."""

    def __init__(self, values, versions):
        """``versions``: the datastore versions already made for the
        page's other rows, by id (a page has few distinct ones)."""
        datastore_name = values.pop('datastore_name')
        version_name = values.pop('datastore_version_name')
        self.__dict__.update(values)
        self.datastore_version = None
        if version_name is not None:
            version_id = self.datastore_version_id
            self.datastore_version = versions.get(version_id)
            if self.datastore_version is None:
                self.datastore_version = versions[version_id] = \
                    types.SimpleNamespace(
                        id=version_id, name=version_name,
                        datastore=types.SimpleNamespace(name=datastore_name))


@functools.cache
def _page_query(all_projects, by_instance, by_datastore, after_key,
                deep_offset=False):
    """The SELECT of a page, built once per shape (building it costs more
    than running it); the filters, offset and limit are bound
    parameters. ``deep_offset``: upstream's integer marker past page 1 of
    a project's list, whose skipped rows are counted in the list's index
    alone (see ``_offset_page``)."""
    if deep_offset and not (all_projects or by_instance or by_datastore):
        return _offset_page()
    query = (sa.select(*_LISTED_COLUMNS,
                       Version.name.label('datastore_version_name'),
                       db_models.Datastore.name.label('datastore_name'))
             .select_from(Row)
             .outerjoin(Version, Version.id == Row.datastore_version_id)
             .outerjoin(db_models.Datastore,
                        db_models.Datastore.id == Version.datastore_id)
             .where(Row.deleted == sa.false()))
    if not all_projects:
        query = query.where(Row.tenant_id == sa.bindparam('project_id'))
    if by_instance:
        query = query.where(Row.instance_id == sa.bindparam('instance_id'))
    if by_datastore:
        query = query.where(Row.datastore_version_id.in_(
            sa.select(Version.id).where(Version.datastore_id.in_(
                sa.bindparam('datastore_ids', expanding=True)))))
    if after_key:
        query = query.where(expressions.after_key(
            Row.updated, Row.id,
            sa.bindparam('after_updated', type_=Row.updated.type),
            sa.bindparam('after_id')))
    if not (all_projects or by_instance or by_datastore):
        # A project's list: its index serves the filter and the order.
        query = expressions.reading_in_index_order(
            query, Row.__table__, 'ix_backups_tenant_id_deleted_updated')
    return (query.order_by(Row.updated.desc(), Row.id.desc())
            .offset(sa.bindparam('offset')).limit(sa.bindparam('limit')))


def _offset_page():
    """A project's page from an integer offset: the ids of the page are
    found first, reading only the list's index (on InnoDB a secondary
    index holds the primary key: the skipped rows are index entries, not
    rows), then only those rows are read and joined. Upstream's marker
    still costs the rows it skips, but as index entries."""
    ids = expressions.reading_in_index_order(
        sa.select(Row.id).where(
            Row.deleted == sa.false(),
            Row.tenant_id == sa.bindparam('project_id')),
        Row.__table__, 'ix_backups_tenant_id_deleted_updated')
    ids = (ids.order_by(Row.updated.desc(), Row.id.desc())
           .offset(sa.bindparam('offset')).limit(sa.bindparam('limit'))
           .subquery('page'))
    return (sa.select(*_LISTED_COLUMNS,
                      Version.name.label('datastore_version_name'),
                      db_models.Datastore.name.label('datastore_name'))
            .select_from(ids)
            .join(Row, Row.id == ids.c.id)
            .outerjoin(Version, Version.id == Row.datastore_version_id)
            .outerjoin(db_models.Datastore,
                       db_models.Datastore.id == Version.datastore_id)
            .order_by(Row.updated.desc(), Row.id.desc()))


def latest_completed(context, instance_id, storage_driver):
    with db_api.reader(context) as session:
        return (_query(session)
                .filter(Row.instance_id == instance_id,
                        Row.state == BackupState.COMPLETED,
                        Row.storage_driver == storage_driver)
                .order_by(Row.created.desc(), Row.id.desc()).first())


def children(context, backup_id):
    with db_api.reader(context) as session:
        return _query(session).filter(Row.parent_id == backup_id).all()


def insert(context, **values):
    now = db_models.utcnow()
    values.setdefault('created', now)
    values.setdefault('updated', now)
    with db_api.writer(context) as session:
        row = Row(**values)
        session.add(row)
        session.flush()
        return row.id


def remove(context, backup_id):
    """Undo an insert (the taskmanager could not be reached)."""
    with db_api.writer(context) as session:
        session.query(Row).filter(Row.id == backup_id).delete()


def running_backups_of(context, instance_id):
    """Ids of the instance's running backups, oldest first."""
    with db_api.reader(context) as session:
        return [backup_id for (backup_id,) in session.query(Row.id).filter(
            Row.instance_id == instance_id, Row.deleted == sa.false(),
            Row.state.in_(BackupState.RUNNING_STATES)).order_by(
            Row.created, Row.id)]


def backup_info(row, instance, parent, container):
    """What the taskmanager and the guest need to take the backup."""
    version = instance.datastore_version
    return {
        'id': row.id, 'name': row.name, 'description': row.description,
        'instance_id': instance.id,
        'backup_type': INCREMENTAL if parent is not None else FULL,
        'checksum': None,
        'parent': None if parent is None else {
            'id': parent.id, 'location': parent.location,
            'checksum': parent.checksum},
        'datastore': version.datastore.name,
        'datastore_version': version.name,
        'storage_driver': row.storage_driver,
        'swift_container': container,
    }


def cast_create(context, row_id, info, instance_id):
    """Record the work (so a lost cast only delays it) and cast it."""
    claims.submit_now(context, row_id, 'backup', 'create_backup',
                      args={'backup_info': info, 'instance_id': instance_id})
    try:
        taskmanager_api.API(context).create_backup(row_id, instance_id)
    except Exception as error:
        LOG.exception('Could not ask the taskmanager for backup %s', row_id)
        claims.forget(context, row_id)
        remove(context, row_id)
        raise exception.ServiceUnavailable(
            reason='the taskmanager cannot be reached (%s)' % error) \
            from error


# Deletion -------------------------------------------------------------------
def _family(context, root):
    """``root`` and every backup built on it, children before parents."""
    order = [root]
    frontier = [root.id]
    seen = {root.id}
    while frontier:
        with db_api.reader(context) as session:
            found = _query(session).filter(
                Row.parent_id.in_(frontier)).all()
        frontier = []
        for row in found:
            if row.id not in seen:
                seen.add(row.id)
                order.append(row)
                frontier.append(row.id)
    return list(reversed(order))


def _refuse_running(rows):
    expires = datetime.timedelta(days=CONF.running_backups_expires)
    now = db_models.utcnow()
    for row in rows:
        started = row.updated or row.created or now
        if row.state in BackupState.RUNNING_STATES and \
                now - started < expires:
            raise BackupRunning(backup_id=row.id, state=row.state,
                                days=CONF.running_backups_expires)


def delete(context, root):
    """Delete ``root`` and its descendants (202 semantics: the objects go
    asynchronously)."""
    rows = _family(context, root)
    _refuse_running(rows)
    reservation = quota.reserve(context, root.tenant_id,
                                {'backups': -len(rows)})
    try:
        api = taskmanager_api.API(context)
        for row in rows:
            has_objects = row.location and row.state != BackupState.RESTORED
            _mark_deleted(context, row.id, has_objects)
            if has_objects:
                # The taskmanager reads the (deleted) row for the location.
                api.delete_backup(row.id)
    except Exception as error:
        reservation.rollback()
        LOG.exception('Deleting backup %s failed', root.id)
        raise exception.ServiceUnavailable(
            reason='the taskmanager cannot be reached (%s)' % error) \
            from error
    reservation.commit()
    return [row.id for row in rows]


def _mark_deleted(context, backup_id, has_objects):
    """The row is deleted and, with its objects, their removal is due."""
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == backup_id).values(
            deleted=True, deleted_at=now, updated=now,
            datastore_version_id=None))
        if has_objects:
            claims.submit(session, backup_id, 'backup', 'delete_backup',
                          request_id=getattr(context, 'request_id', None))
