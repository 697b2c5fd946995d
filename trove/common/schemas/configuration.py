"""Bodies of configuration group and parameter requests."""

from trove.common.schemas import types

create = types.wrapped('configuration', {
    'type': 'object',
    'required': ['values', 'name'],
    'additionalProperties': True,
    'properties': {
        'description': {'type': 'string', 'maxLength': 256},
        'values': {'type': 'object'},
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 64,
                 'pattern': r'^.*[0-9a-zA-Z]+.*$'},
        'datastore': types.datastore,
    },
})

update = types.wrapped('configuration', {
    'type': 'object',
    'additionalProperties': True,
    'properties': {
        'description': {'type': 'string', 'maxLength': 256},
        'values': {'type': 'object'},
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 64,
                 'pattern': r'^.*[0-9a-zA-Z]+.*$'},
    },
})

edit = types.wrapped('configuration', {
    'type': 'object',
    'required': ['values'],
    'additionalProperties': True,
    'properties': {'values': {'type': 'object'}},
})

_bound = {'type': ['string', 'integer', 'number'],
          'pattern': r'^-?[0-9]+(\.[0-9]+)?$'}

parameter = types.wrapped('configuration-parameter', {
    'type': 'object',
    'required': ['name', 'restart_required', 'data_type'],
    'additionalProperties': True,
    'properties': {
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 128,
                 'pattern': r'^[a-zA-Z0-9_.-]+$'},
        'restart_required': {'oneOf': [types.boolean_string,
                                       {'type': 'boolean'}]},
        'data_type': {'type': 'string',
                      'enum': ['integer', 'string', 'boolean', 'float']},
        'max_size': _bound,
        'min_size': _bound,
        'max': _bound,
        'min': _bound,
    },
})
