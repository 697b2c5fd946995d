"""JSON shape of a configuration parameter in the management API.

Unlike the tenant view (``max``/``min``), the bounds are named after their
columns, ``max_size``/``min_size``, as upstream shows them here.
"""

from trove.datastore import views as datastore_views


def _number(value):
    try:
        return int(value)
    except ValueError:
        return float(value)


def parameter_view(param):
    view = {
        'name': param.name,
        'datastore_version_id': param.datastore_version_id,
        'restart_required': bool(param.restart_required),
        'type': param.data_type,
    }
    if param.max_size is not None:
        view['max_size'] = _number(param.max_size)
    if param.min_size is not None:
        view['min_size'] = _number(param.min_size)
    view.update(datastore_views.allowed_values_view(param))
    return view
