"""JSON shapes of configuration groups, as upstream's views.

Values are shown typed by the parameter rules (an integer parameter as a
JSON number) and password-like ones masked, as upstream masks them.
"""

from oslo_utils import strutils

from trove.common import views
from trove.configuration import rules as parameter_rules


def configuration_view(group):
    """The summary shown in lists."""
    return {
        'id': group.id,
        'name': group.name,
        'description': group.description,
        'created': views.isotime(group.created),
        'updated': views.isotime(group.updated),
        'datastore_name': group.datastore_name,
        'datastore_version_id': group.datastore_version_id,
        'datastore_version_name': group.datastore_version_name,
        'datastore_version_number': group.datastore_version_number,
    }


def shown_values(group, rules):
    """Typed values, password-like strings masked (a number such as
    max_password_errors is no secret)."""
    values = parameter_rules.typed_values(rules, group.values)
    masked = strutils.mask_dict_password(values)
    return {key: masked[key] if isinstance(value, str) else value
            for key, value in values.items()}


def configuration_detail_view(group, rules):
    view = configuration_view(group)
    view['values'] = shown_values(group, rules)
    view['instance_count'] = group.instance_count
    return view


def instance_view(instance_id, name):
    return {'id': instance_id, 'name': name}
