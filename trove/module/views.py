"""JSON shapes of modules, as upstream's ModuleView."""

from trove.common import views
from trove.db import api as db_api
from trove.db import models as db_models


def datastore_names(context):
    """{datastore id or version id: name} for showing modules."""
    with db_api.reader(context) as session:
        names = {row.id: row.name
                 for row in session.query(db_models.Datastore).all()}
        names.update({row.id: row.name for row in
                      session.query(db_models.DatastoreVersion).all()})
    return names


def module_view(module, names, **extra):
    view = {
        'id': module.id, 'name': module.name, 'type': module.type,
        'description': module.description, 'tenant_id': module.tenant_id,
        'datastore_id': module.datastore_id,
        'datastore_version_id': module.datastore_version_id,
        'auto_apply': module.auto_apply,
        'priority_apply': module.priority_apply,
        'apply_order': module.apply_order, 'is_admin': module.is_admin,
        'md5': module.md5, 'visible': module.visible,
        'created': views.isotime(module.created),
        'updated': views.isotime(module.updated),
        'tenant': module.tenant_id or 'All',
        'datastore': names.get(module.datastore_id, 'All'),
        'datastore_version': names.get(module.datastore_version_id, 'All'),
    }
    view.update(extra)
    return view


def instance_module_view(module, row, names):
    """A module as recorded on an instance (``module-list-instance``)."""
    return module_view(module, names, md5=row.md5,
                       created=views.isotime(row.created),
                       updated=views.isotime(row.updated))
