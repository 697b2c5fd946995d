"""Bodies of management (admin) requests."""

from trove.common.schemas import types

_image_tags = {'type': 'array', 'maxItems': 5, 'uniqueItems': True,
               'items': {'type': 'string', 'minLength': 1,
                         'maxLength': 20}}

datastore_version_create = types.wrapped('version', {
    'type': 'object',
    'required': ['name', 'datastore_name', 'datastore_manager', 'active'],
    'additionalProperties': False,
    'properties': {
        'name': types.non_empty_string,
        'datastore_name': types.non_empty_string,
        'datastore_manager': types.non_empty_string,
        'packages': {'type': 'array', 'items': {'type': 'string'}},
        'image': {'oneOf': [types.uuid, {'type': 'null'},
                            {'type': 'string', 'maxLength': 0}]},
        'image_tags': _image_tags,
        'active': {'type': 'boolean'},
        'default': {'type': 'boolean'},
        'registry_ext': {'type': 'string'},
        'repl_strategy': {'type': 'string'},
        'version': types.non_empty_string,
    },
}, additionalProperties=False)

datastore_version_edit = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'datastore_manager': types.non_empty_string,
        'packages': {'type': 'array', 'items': {'type': 'string'}},
        'image': {'oneOf': [types.uuid, {'type': 'null'},
                            {'type': 'string', 'maxLength': 0}]},
        'image_tags': _image_tags,
        'registry_ext': {'type': 'string'},
        'repl_strategy': {'type': 'string'},
        'active': {'type': 'boolean'},
        'default': {'type': 'boolean'},
        'name': types.non_empty_string,
    },
}

quota_update = types.wrapped('quotas', {
    'type': 'object',
    'additionalProperties': {'oneOf': [{'type': 'integer', 'minimum': -1},
                                       {'type': 'null'}]},
})
