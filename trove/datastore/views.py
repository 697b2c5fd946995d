"""JSON shapes of datastores, versions and configuration parameters."""

from trove.common import views
from trove.datastore import parameters


def _admin_version_fields(version):
    return {
        'active': version.active,
        'packages': version.packages or '',
        'image': version.image_id,
        'image_tags': version.image_tags.split(',') if version.image_tags
        else [],
        'registry_ext': version.registry_ext,
        'repl_strategy': version.repl_strategy,
    }


def _links(request, version):
    return views.create_links(request, 'datastores/versions', version.id)


def version_summary(request, version):
    """A version nested in a datastore."""
    view = {'id': version.id, 'name': version.name,
            'links': _links(request, version)}
    if request.context.is_admin:
        view.update(_admin_version_fields(version))
    return view


def version_view(request, version):
    view = {
        'id': version.id,
        'name': version.name,
        'datastore': version.datastore_id,
        'version': version.version,
        'links': _links(request, version),
    }
    if request.context.is_admin:
        view.update(_admin_version_fields(version))
    return view


def datastore_view(request, datastore, versions):
    view = {
        'id': datastore.id,
        'name': datastore.name,
        'links': views.create_links(request, 'datastores', datastore.id),
        'versions': [version_summary(request, v) for v in versions],
    }
    if datastore.default_version_id and any(
            v.id == datastore.default_version_id for v in versions):
        view['default_version'] = datastore.default_version_id
    return view


def _number(value, data_type):
    if value is None:
        return None
    if data_type == 'float':
        return float(value)
    try:
        return int(value)
    except ValueError:
        return float(value)


def allowed_values_view(param):
    """``allowed_values`` (and ``multiple``) of an enum or set parameter,
    keys upstream does not have; clients ignore them."""
    values, multiple = parameters.decode_allowed(param.allowed_values)
    if not values:
        return {}
    view = {'allowed_values': list(values)}
    if multiple:
        view['multiple'] = True
    return view


def parameter_view(param):
    view = {
        'name': param.name,
        'datastore_version_id': param.datastore_version_id,
        'restart_required': param.restart_required,
        'type': param.data_type,
    }
    for key, value in (('max', param.max_size), ('min', param.min_size)):
        if value is not None:
            view[key] = _number(value, param.data_type)
    view.update(allowed_values_view(param))
    return view
