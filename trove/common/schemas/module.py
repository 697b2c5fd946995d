"""Bodies of module requests (upstream's module schemas)."""

from trove.common.schemas import types

_flag = types.boolean_string

_properties = {
    'name': types.non_empty_string,
    'module_type': types.non_empty_string,
    'contents': {'type': 'string', 'minLength': 1, 'maxLength': 4294967295},
    'description': {'type': 'string', 'maxLength': 255},
    'datastore': {
        'type': 'object',
        'properties': {'type': {'type': ['string', 'null']},
                       'version': {'type': ['string', 'null']}},
    },
    'auto_apply': _flag,
    'all_tenants': _flag,
    'visible': _flag,
    'live_update': _flag,
    'priority_apply': _flag,
    'apply_order': {'type': 'integer', 'minimum': 0, 'maximum': 9},
    'full_access': _flag,
}

create = types.wrapped('module', {
    'type': 'object',
    'required': ['name', 'module_type', 'contents'],
    'additionalProperties': True,
    'properties': _properties,
})

update = types.wrapped('module', {
    'type': 'object',
    'additionalProperties': True,
    'properties': dict(_properties, all_datastores=_flag,
                       all_datastore_versions=_flag),
})

apply = {
    'type': 'object',
    'required': ['modules'],
    'properties': {'modules': types.module_list},
}

reapply = types.wrapped('reapply', {
    'type': 'object',
    'properties': {'md5': {'type': 'string'}, 'include_clustered': _flag,
                   'batch_size': {'type': 'integer', 'minimum': 1},
                   'batch_delay': {'type': 'integer', 'minimum': 0},
                   'force': _flag},
})
