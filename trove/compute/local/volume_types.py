"""Volume types of the local provider that operators define with
``trove-manage volume_type_create`` (the ``volume_types`` table), next to
those of the ``[local] volume_types`` option. ``choices`` merges both."""

import uuid

from oslo_db import exception as db_exception
from oslo_log import log as logging

from trove.common import context as trove_context
from trove.common import exception
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)

# Ids are derived from names (as for the option's types), so a type that
# is deleted and defined again keeps the id instances recorded.
TYPE_NAMESPACE = uuid.UUID('5a2e4c3c-6c1d-4d8e-9a51-0c8f4e1b7a01')


def type_id(name):
    return str(uuid.uuid5(TYPE_NAMESPACE, name))


def _context(context):
    # Drivers ask with no request context (capabilities, validation).
    return context or trove_context.get_admin_context()


def stored(context=None):
    """The defined types' rows, by name. Without a control database to
    read (the provider driven on its own, as its contract tests do) there
    are none: the option's types are still offered."""
    try:
        rows = db_api.read_objects(_context(context), lambda session: session
                                   .query(db_models.VolumeType).all())
    except db_exception.DBError as error:
        LOG.warning('Volume types defined with trove-manage cannot be '
                    'read (%s); offering the [local] volume_types only.',
                    error)
        return []
    return sorted(rows, key=lambda row: row.name)


def create(context, name, description=None):
    name = (name or '').strip()
    if not name or len(name) > 255:
        raise exception.BadRequest(
            message='A volume type needs a name of 1 to 255 characters.')
    if name in CONF.local.volume_types:
        raise exception.BadRequest(
            message='Volume type %s is already offered by the '
                    '[local] volume_types option.' % name)
    with db_api.writer(_context(context)) as session:
        row = db_models.VolumeType(id=type_id(name), name=name,
                                   description=description)
        session.add(row)
    return row


def delete(context, name_or_id):
    with db_api.writer(_context(context)) as session:
        row = (session.query(db_models.VolumeType)
               .filter((db_models.VolumeType.name == name_or_id)
                       | (db_models.VolumeType.id == name_or_id)).first())
        if row is None:
            raise exception.NotFound(uuid=name_or_id)
        session.delete(row)
        return row.name
