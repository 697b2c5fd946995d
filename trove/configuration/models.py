"""Configuration groups in the control database.

A group belongs to one project and one datastore version; its values are
rows of ``configuration_parameters`` (stored strings, see
trove.configuration.rules). ``Group`` bundles a group with what its views
need (datastore names, values, attached instance count), read in one
transaction. Deleting a group is a soft delete and is refused while an
instance uses it.
"""

import dataclasses
import datetime
import functools

from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm

from trove.common import exception
from trove.db import api as db_api
from trove.db import expressions
from trove.db import models as db_models

Row = db_models.Configuration
Item = db_models.ConfigurationParameter
Instance = db_models.Instance


@dataclasses.dataclass
class Group:
    id: str
    name: str
    description: str | None
    tenant_id: str
    datastore_version_id: str
    datastore_name: str
    datastore_version_name: str
    datastore_version_number: str | None
    datastore_manager: str | None
    # datetimes, or the API's text where a list page read them
    created: datetime.datetime | str | None
    updated: datetime.datetime | str | None
    values: dict = dataclasses.field(default_factory=dict)
    instance_count: int = 0

    @property
    def datastore_label(self):
        return '%s %s' % (self.datastore_name, self.datastore_version_name)


def _live_instances(configuration_id):
    return sa.and_(Instance.configuration_id == configuration_id,
                   Instance.deleted == sa.false())


def _group(session, row):
    version = row.datastore_version
    group = Group(
        id=row.id, name=row.name, description=row.description,
        tenant_id=row.tenant_id,
        datastore_version_id=row.datastore_version_id,
        datastore_name=version.datastore.name,
        datastore_version_name=version.name,
        datastore_version_number=version.version,
        datastore_manager=version.manager,
        created=row.created, updated=row.updated)
    group.values = dict(session.query(
        Item.configuration_key, Item.configuration_value).filter(
        Item.configuration_id == row.id, Item.deleted == sa.false()))
    group.instance_count = session.query(sa.func.count(Instance.id)) \
        .filter(_live_instances(row.id)).scalar()
    return group


def _query(session):
    return session.query(Row).options(
        orm.joinedload(Row.datastore_version).joinedload(
            db_models.DatastoreVersion.datastore)).filter(
        Row.deleted == sa.false())


def _find(session, context, configuration_id):
    if not uuidutils.is_uuid_like(configuration_id):
        raise exception.ConfigurationNotFound(uuid=configuration_id)
    query = _query(session).filter(Row.id == configuration_id)
    if not context.is_admin:
        query = query.filter(Row.tenant_id == context.project_id)
    row = query.first()
    if row is None:
        raise exception.ConfigurationNotFound(uuid=configuration_id)
    return row


def load(context, configuration_id):
    """A live group of the caller's project (any project for an admin)."""
    with db_api.reader(context) as session:
        return _group(session, _find(session, context, configuration_id))


def list_page(context, limit, marker=None):
    """The project's groups in id order, ``limit + 1`` at most (the extra
    one says a next page exists), without values: read as plain rows of
    the summary's fields (ORM entities of the group, its version and
    datastore cost several times the query)."""
    parameters = {'project_id': context.project_id, 'marker': marker,
                  'limit': limit + 1}
    return [Group(**row) for row in db_api.read_rows(
        context, _page_query(bool(marker)), parameters)]


@functools.cache
def _page_query(after_marker):
    """The SELECT of a page, built once (building it costs more than
    running it); the project, marker and limit are bound parameters. The
    times come as the API's text."""
    version = db_models.DatastoreVersion
    query = (sa.select(
        Row.id, Row.name, Row.description, Row.tenant_id,
        Row.datastore_version_id,
        db_models.Datastore.name.label('datastore_name'),
        version.name.label('datastore_version_name'),
        version.version.label('datastore_version_number'),
        version.manager.label('datastore_manager'),
        expressions.iso_seconds(Row.created).label('created'),
        expressions.iso_seconds(Row.updated).label('updated'))
        # Outer joins (every group has its version): the read starts at
        # the project's groups in id order and stops after a page; with
        # inner joins MariaDB started from the versions and sorted every
        # group of the version (0.5 s for 40,000 groups).
        .outerjoin(version, version.id == Row.datastore_version_id)
        .outerjoin(db_models.Datastore,
                   db_models.Datastore.id == version.datastore_id)
        .where(Row.deleted == sa.false(),
               Row.tenant_id == sa.bindparam('project_id')))
    if after_marker:
        query = query.where(Row.id > sa.bindparam('marker'))
    query = expressions.reading_in_index_order(
        query, Row.__table__, 'ix_configurations_tenant_id_deleted')
    return query.order_by(Row.id).limit(sa.bindparam('limit'))


def create(context, name, description, version, values):
    """A new group of ``version`` with ``values`` (stored strings)."""
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        row = Row(name=name, description=description,
                  tenant_id=context.project_id,
                  datastore_version_id=version.id, created=now, updated=now)
        session.add(row)
        session.flush()
        for key, value in values.items():
            session.add(Item(configuration_id=row.id, configuration_key=key,
                             configuration_value=value))
        configuration_id = row.id
    return load(context, configuration_id)


def update(context, configuration_id, values=None, merge=False, name=None,
           description=None):
    """Replace (or with ``merge`` add to) the values, and rename."""
    with db_api.writer(context) as session:
        row = _find(session, context, configuration_id)
        if values is not None:
            keys = list(values)
            if not merge:
                session.execute(sa.delete(Item).where(
                    Item.configuration_id == row.id))
            elif keys:
                session.execute(sa.delete(Item).where(
                    Item.configuration_id == row.id,
                    Item.configuration_key.in_(keys)))
            for key in keys:
                session.add(Item(configuration_id=row.id,
                                 configuration_key=key,
                                 configuration_value=values[key]))
        if name is not None:
            row.name = name
        if description is not None:
            row.description = description
        row.updated = db_models.utcnow()


def delete(context, configuration_id):
    """Soft delete; InstanceAssignedToConfiguration while attached."""
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        row = _find(session, context, configuration_id)
        attached = session.query(Instance.id).filter(
            _live_instances(row.id)).first()
        if attached is not None:
            raise exception.InstanceAssignedToConfiguration()
        row.deleted = True
        row.deleted_at = now
        session.execute(sa.update(Item).where(
            Item.configuration_id == row.id).values(deleted=True,
                                                    deleted_at=now))


def instances_page(context, configuration_id, limit, marker=None):
    """(id, name) of live instances using the group, id order."""
    with db_api.reader(context) as session:
        row = _find(session, context, configuration_id)
        query = session.query(Instance.id, Instance.name).filter(
            _live_instances(row.id))
        if marker:
            query = query.filter(Instance.id > marker)
        return query.order_by(Instance.id).limit(limit + 1).all()


def attached_instance_ids(context, configuration_id):
    with db_api.reader(context) as session:
        return [row_id for (row_id,) in session.query(Instance.id).filter(
            _live_instances(configuration_id)).order_by(Instance.id)]
