"""Registering, changing and removing datastore versions (admin writes).

Lookups live in ``trove.datastore.models``; this module holds what the
management API changes beyond ``trove-manage``: renaming, the default
version, and removing a version nothing uses any more.
"""

import sqlalchemy as sa
from oslo_db import exception as db_exception
from sqlalchemy import orm

from trove.common import exception
from trove.datastore import models as datastore_models
from trove.db import api as db_api
from trove.db import models as db_models

Version = db_models.DatastoreVersion

# Live rows of these tables keep a version from being deleted.
_USERS_OF_VERSIONS = (
    ('instance', db_models.Instance),
    ('backup', db_models.Backup),
    ('configuration', db_models.Configuration),
    ('cluster', db_models.Cluster),
)


def _joined(values):
    """The comma-joined column form of a list (None when empty)."""
    return ','.join(values or []) or None


def list_versions(context):
    """Every version of every datastore, active or not."""
    with db_api.reader(context) as session:
        return (session.query(Version)
                .join(Version.datastore)
                .options(orm.contains_eager(Version.datastore))
                .order_by(db_models.Datastore.name, Version.name,
                          Version.version)
                .all())


def get_version(context, version_id):
    return datastore_models.get_version_by_uuid(context, version_id)


def create_version(context, name, datastore_name, manager, active,
                   image_id=None, image_tags=None, packages=None,
                   registry_ext=None, repl_strategy=None, default=False,
                   version=None, image_required=False):
    """Register a version, creating its datastore if needed; its id."""
    version_number = version or name
    if image_required and not (image_id or image_tags):
        raise exception.BadRequest('Image must be specified.')
    datastore_models.update_datastore(context, datastore_name)
    with db_api.reader(context) as session:
        datastore = session.query(db_models.Datastore).filter_by(
            name=datastore_name).one()
        clash = session.query(Version.id).filter_by(
            datastore_id=datastore.id, name=name,
            version=version_number).first()
    if clash is not None:
        raise exception.DatastoreVersionAlreadyExists(
            name=name, version=version_number)
    try:
        version_id = datastore_models.update_version(
            context, datastore_name, name, manager, image_id,
            _joined(packages), active, image_tags=image_tags,
            registry_ext=registry_ext, repl_strategy=repl_strategy,
            version=version_number)
    except db_exception.DBDuplicateEntry:
        raise exception.DatastoreVersionAlreadyExists(
            name=name, version=version_number) from None
    if default:
        with db_api.writer(context) as session:
            session.get(db_models.Datastore, datastore.id) \
                .default_version_id = version_id
    return version_id


def edit_version(context, version_id, changes, image_required=False):
    """Apply the attributes in ``changes`` (the PATCH body) to a version.

    Image tags given without an image replace the image, as upstream
    does. ``default`` true makes the version its datastore's default;
    false clears the default only if it was this version.
    """
    with db_api.writer(context) as session:
        row = session.get(Version, version_id)
        if row is None:
            raise exception.DatastoreVersionNotFound(version=version_id)
        if 'name' in changes and changes['name'] != row.name:
            _check_name_free(session, row, changes['name'])
            row.name = changes['name']
        if 'datastore_manager' in changes:
            row.manager = changes['datastore_manager']
        if 'image' in changes:
            row.image_id = changes['image'] or None
        elif changes.get('image_tags'):
            row.image_id = None
        if 'image_tags' in changes:
            row.image_tags = _joined(changes['image_tags'])
        if 'packages' in changes:
            row.packages = _joined(changes['packages'])
        for key in ('active', 'registry_ext', 'repl_strategy'):
            if key in changes:
                setattr(row, key, changes[key])
        if image_required and not (row.image_id or row.image_tags):
            raise exception.BadRequest('Image must be specified.')
        datastore = session.get(db_models.Datastore, row.datastore_id)
        if changes.get('default') is True:
            datastore.default_version_id = row.id
        elif (changes.get('default') is False
              and datastore.default_version_id == row.id):
            datastore.default_version_id = None
        try:
            session.flush()
        except db_exception.DBDuplicateEntry:
            raise exception.DatastoreVersionAlreadyExists(
                name=row.name, version=row.version) from None


def _check_name_free(session, row, new_name):
    clash = session.query(Version.id).filter_by(
        datastore_id=row.datastore_id, name=new_name,
        version=row.version).first()
    if clash is not None:
        raise exception.DatastoreVersionAlreadyExists(name=new_name,
                                                      version=row.version)


def delete_version(context, version_id):
    """Remove a version nothing live uses, with its parameter rules and
    flavor/volume-type restrictions."""
    with db_api.writer(context) as session:
        row = session.get(Version, version_id)
        if row is None:
            raise exception.DatastoreVersionNotFound(version=version_id)
        for resource, model in _USERS_OF_VERSIONS:
            used = (session.query(model.id)
                    .filter_by(datastore_version_id=version_id,
                               deleted=False).first())
            if used is not None:
                raise exception.DatastoreVersionsInUse(resource=resource)
        for model in (db_models.DatastoreConfigurationParameter,
                      db_models.DatastoreVersionMetadata):
            session.execute(sa.delete(model).where(
                model.datastore_version_id == version_id))
        session.execute(
            sa.update(db_models.Datastore)
            .where(db_models.Datastore.default_version_id == version_id)
            .values(default_version_id=None))
        session.delete(row)
        try:
            session.flush()
        except db_exception.DBReferenceError:
            # Soft-deleted records still point at the version.
            raise exception.DatastoreVersionsInUse(
                resource='deleted records that still reference it') from None
