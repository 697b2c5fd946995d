"""Datastores and versions: lookup by id or name, and registration.

A datastore is an engine family (mariadb, postgresql...), a version one
installable release of it. Users name either by id or by name; version
names may repeat across version numbers, which then disambiguate.
"""

from oslo_utils import uuidutils
from sqlalchemy import orm

from trove.common import exception
from trove.db import api as db_api
from trove.db import models as db_models


def _visible_versions(versions, include_inactive):
    return [v for v in versions if include_inactive or v.active]


def list_datastores(context, include_inactive=False):
    """Datastores with their versions; hidden ones need admin."""
    datastores = db_api.read_objects(context, lambda session: (
        session.query(db_models.Datastore)
        .options(orm.selectinload(db_models.Datastore.versions))
        .order_by(db_models.Datastore.name).all()))
    result = []
    for datastore in datastores:
        versions = _visible_versions(datastore.versions, include_inactive)
        if versions or include_inactive:
            result.append((datastore, versions))
    return result


def get_datastore(context, id_or_name, include_inactive=True):
    """A datastore and its versions; DatastoreNotFound if none matches."""

    def find(session):
        query = session.query(db_models.Datastore).options(
            orm.selectinload(db_models.Datastore.versions))
        if uuidutils.is_uuid_like(id_or_name):
            found = query.filter_by(id=id_or_name).first()
            if found is not None:
                return found
        return query.filter_by(name=id_or_name).first()
    datastore = db_api.read_objects(context, find)
    if datastore is None:
        raise exception.DatastoreNotFound(datastore=id_or_name)
    versions = _visible_versions(datastore.versions, include_inactive)
    if not versions and not include_inactive:
        raise exception.DatastoreNotFound(datastore=id_or_name)
    return datastore, versions


def get_version_by_uuid(context, version_id, include_inactive=True):
    version = db_api.read_objects(context, lambda session: (
        session.query(db_models.DatastoreVersion)
        .options(orm.joinedload(db_models.DatastoreVersion.datastore))
        .filter_by(id=version_id).first()))
    if version is None or not (include_inactive or version.active):
        raise exception.DatastoreVersionNotFound(version=version_id)
    return version


def get_version(context, datastore, id_or_name, version_number=None,
                include_inactive=True):
    """A version of ``datastore`` by id, or by name (and number)."""
    with db_api.reader(context) as session:
        query = (session.query(db_models.DatastoreVersion)
                 .options(orm.joinedload(
                     db_models.DatastoreVersion.datastore))
                 .filter_by(datastore_id=datastore.id))
        matches = []
        if uuidutils.is_uuid_like(id_or_name):
            matches = query.filter_by(id=id_or_name).all()
        if not matches:
            query = query.filter_by(name=id_or_name)
            if version_number:
                query = query.filter_by(version=version_number)
            matches = query.all()
    if not include_inactive:
        matches = [m for m in matches if m.active]
    if not matches:
        raise exception.DatastoreVersionNotFound(version=id_or_name)
    if len(matches) > 1:
        raise exception.DatastoreVersionsNoUniqueMatch(name=id_or_name)
    return matches[0]


def resolve(context, datastore_name=None, version_name=None,
            version_number=None):
    """The version a create request means (falling back to defaults)."""
    from trove.conf import CONF
    if not datastore_name:
        datastore_name = CONF.default_datastore
        if not datastore_name:
            raise exception.DatastoreDefaultDatastoreNotFound()
    datastore, _versions = get_datastore(context, datastore_name)
    if not version_name:
        if not datastore.default_version_id:
            raise exception.DatastoreDefaultVersionNotFound(
                datastore=datastore.name)
        version = get_version_by_uuid(context, datastore.default_version_id)
    else:
        version = get_version(context, datastore, version_name,
                              version_number)
    if not version.active:
        raise exception.DatastoreVersionInactive(version=version.name)
    return version


def update_datastore(context, name, default_version=None):
    """Create or update a datastore (trove-manage datastore_update)."""
    with db_api.writer(context) as session:
        datastore = session.query(db_models.Datastore).filter_by(
            name=name).first()
        if datastore is None:
            datastore = db_models.Datastore(name=name)
            session.add(datastore)
            session.flush()
        if default_version:
            version = (session.query(db_models.DatastoreVersion)
                       .filter_by(datastore_id=datastore.id,
                                  name=default_version)
                       .order_by(db_models.DatastoreVersion.version.desc())
                       .first())
            if version is None:
                raise exception.DatastoreVersionNotFound(
                    version=default_version)
            datastore.default_version_id = version.id
        elif default_version == '':
            datastore.default_version_id = None
        return datastore.id


def update_version(context, datastore_name, version_name, manager, image_id,
                   packages, active, image_tags=None, registry_ext=None,
                   repl_strategy=None, version=None):
    """Create or update a datastore version (trove-manage
    datastore_version_update)."""
    from trove.common import datastore_registry
    registry_ext = registry_ext or datastore_registry.manager_class(manager)
    repl_strategy = repl_strategy or datastore_registry.replication_strategy(
        manager)
    version_number = version or version_name
    with db_api.writer(context) as session:
        datastore = session.query(db_models.Datastore).filter_by(
            name=datastore_name).first()
        if datastore is None:
            raise exception.DatastoreNotFound(datastore=datastore_name)
        row = (session.query(db_models.DatastoreVersion)
               .filter_by(datastore_id=datastore.id, name=version_name,
                          version=version_number).first())
        if row is None:
            row = db_models.DatastoreVersion(datastore_id=datastore.id,
                                             name=version_name,
                                             version=version_number)
            session.add(row)
        row.manager = manager
        row.image_id = image_id or None
        row.image_tags = ','.join(image_tags or []) or None
        row.packages = packages or None
        row.active = bool(active)
        row.registry_ext = registry_ext
        row.repl_strategy = repl_strategy
        session.flush()
        return row.id
