"""Bodies of cluster requests (upstream's apischema ``cluster``)."""

from trove.common.schemas import types

_instance = {
    'type': 'object',
    'required': ['flavorRef'],
    'additionalProperties': True,
    'properties': {
        'flavorRef': types.flavorref,
        'name': types.non_empty_string,
        'volume': types.volume,
        'nics': types.nics,
        'availability_zone': types.non_empty_string,
        'modules': types.module_list,
        'region_name': types.non_empty_string,
        'related_to': types.non_empty_string,
        'type': types.non_empty_string,
    },
}

create = types.wrapped('cluster', {
    'type': 'object',
    'required': ['name', 'datastore', 'instances'],
    'additionalProperties': True,
    'properties': {
        'name': types.non_empty_string,
        'datastore': {
            'type': 'object',
            'required': ['type', 'version'],
            'additionalProperties': True,
            'properties': {'type': types.non_empty_string,
                           'version': types.non_empty_string},
        },
        'instances': {'type': 'array', 'minItems': 1, 'items': _instance},
        'locality': {'type': 'string',
                     'enum': ['affinity', 'anti-affinity']},
        'configuration': types.configuration_id,
        'extended_properties': {'type': 'object',
                                'additionalProperties': True},
    },
})

# One schema per action key, as upstream picks them by the body's key.
action_grow = types.wrapped('grow', {
    'type': 'array', 'minItems': 1, 'items': _instance})
action_shrink = types.wrapped('shrink', {
    'type': 'array', 'minItems': 1,
    'items': {'type': 'object', 'required': ['id'],
              'additionalProperties': True,
              'properties': {'id': types.uuid}}})
action_upgrade = types.wrapped('upgrade', {
    'type': 'object', 'required': ['datastore_version'],
    'additionalProperties': True,
    'properties': {'datastore_version': types.non_empty_string}})
action_object = {
    key: types.wrapped(key, {'type': 'object'})
    for key in ('reset-status', 'restart', 'configuration_detach',
                'add_shard')}
action_configuration_attach = types.wrapped('configuration_attach', {
    'type': 'object', 'required': ['configuration_id'],
    'additionalProperties': True,
    'properties': {'configuration_id': types.uuid}})

mgmt_action = {
    'type': 'object', 'additionalProperties': False,
    'properties': {'reset-task': {'type': 'object'}},
    'minProperties': 1, 'maxProperties': 1,
}
