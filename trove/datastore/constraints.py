"""Which flavors and volume types a datastore version may use, and
removing a datastore.

Operators restrict a version with ``trove-manage
datastore_version_flavor_add`` / ``datastore_version_volume_type_add``
(rows of ``datastore_version_metadata`` with key ``flavor`` or
``volume_type``, as upstream). A version without such rows may use every
flavor and volume type the provider offers.
"""

import sqlalchemy as sa

from trove.common import exception
from trove.db import api as db_api
from trove.db import models as db_models

FLAVOR, VOLUME_TYPE = 'flavor', 'volume_type'
Meta = db_models.DatastoreVersionMetadata


def allowed(context, version_id, key):
    """The values a version is restricted to, or None (no restriction)."""
    with db_api.reader(context) as session:
        values = [value for (value,) in session.execute(
            sa.select(Meta.value).where(Meta.datastore_version_id == version_id,
                                        Meta.key == key,
                                        Meta.deleted == sa.false()))]
    return set(values) or None


def add(context, version_id, key, values):
    with db_api.writer(context) as session:
        for value in values:
            row = session.execute(sa.select(Meta).where(
                Meta.datastore_version_id == version_id, Meta.key == key,
                Meta.value == value)).scalar_one_or_none()
            if row is None:
                session.add(Meta(datastore_version_id=version_id, key=key,
                                 value=value))
            else:
                row.deleted, row.deleted_at = False, None


def remove(context, version_id, key, value):
    with db_api.writer(context) as session:
        removed = session.execute(sa.delete(Meta).where(
            Meta.datastore_version_id == version_id, Meta.key == key,
            Meta.value == value)).rowcount
    if not removed:
        raise exception.NotFound(uuid='%s %s of version %s'
                                 % (key, value, version_id))


def check(context, version, flavor_id, volume_type):
    """400 if the create asks for a flavor or volume type the version
    is restricted from."""
    flavors = allowed(context, version.id, FLAVOR)
    if flavors is not None and str(flavor_id) not in flavors:
        raise exception.BadRequest(
            'Flavor %s is not supported for datastore version %s (allowed: '
            '%s).' % (flavor_id, version.name, ', '.join(sorted(flavors))))
    types = allowed(context, version.id, VOLUME_TYPE)
    if volume_type and types is not None and volume_type not in types:
        raise exception.BadRequest(
            'Volume type %s is not supported for datastore version %s '
            '(allowed: %s).' % (volume_type, version.name,
                                ', '.join(sorted(types))))


def delete_datastore(context, datastore):
    """Remove a datastore that has no version left (400 otherwise)."""
    with db_api.writer(context) as session:
        versions = session.execute(
            sa.select(sa.func.count()).select_from(db_models.DatastoreVersion)
            .where(db_models.DatastoreVersion.datastore_id == datastore.id)
        ).scalar()
        if versions:
            raise exception.DatastoreVersionsExist(datastore=datastore.name)
        session.execute(sa.delete(db_models.Datastore).where(
            db_models.Datastore.id == datastore.id))
