"""Primitive schemas the resource schemas are built from."""

non_empty_string = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'pattern': r'^.*[0-9a-zA-Z]+.*$',
}

name_string = {
    'type': 'string', 'minLength': 1, 'pattern': r'^.*[0-9a-zA-Z]+.*$',
}

uuid = {
    'type': 'string', 'minLength': 1, 'maxLength': 64,
    'pattern': r'^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
               r'-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
}

flavorref = {'oneOf': [non_empty_string, {'type': 'integer'}]}

volume_size = {
    'oneOf': [
        {'type': 'integer', 'minimum': 1},
        {'type': 'string', 'minLength': 1, 'maxLength': 40,
         'pattern': r'^0*[1-9]+[0-9]*$'},
    ]
}

# Upstream's flags are the integers 0 and 1, not JSON booleans.
boolean_string = {'type': 'integer', 'minimum': 0, 'maximum': 1}

host_string = {'type': 'string', 'minLength': 1,
               'pattern': r'^[%]?[\w(-).]*[%]?$'}

volume = {
    'type': 'object',
    'required': ['size'],
    'properties': {
        'size': volume_size,
        'type': {'oneOf': [non_empty_string, {'type': 'null'}]},
    },
}

nics = {
    'type': 'array',
    'maxItems': 1,
    'items': {
        'type': 'object',
        'additionalProperties': False,
        'properties': {
            'net-id': uuid,
            'network_id': uuid,
            'subnet_id': uuid,
            'ip_address': {'type': 'string', 'minLength': 7,
                           'maxLength': 15,
                           'pattern': r'^(\d{1,3}\.){3}\d{1,3}$'},
        },
    },
}

databases_ref_list = {
    'type': 'array',
    'minItems': 0,
    'uniqueItems': True,
    'items': {
        'type': 'object',
        'required': ['name'],
        'additionalProperties': True,
        'properties': {'name': non_empty_string},
    },
}

databases_def = {
    'type': 'array',
    'minItems': 0,
    'items': {
        'type': 'object',
        'required': ['name'],
        'additionalProperties': True,
        'properties': {
            'name': non_empty_string,
            'character_set': non_empty_string,
            'collate': non_empty_string,
        },
    },
}

user_attributes = {
    'type': 'object',
    'additionalProperties': True,
    'minProperties': 1,
    'properties': {
        'name': name_string,
        'password': non_empty_string,
        'host': host_string,
    },
}

users_list = {
    'type': 'array',
    'minItems': 0,
    'items': {
        'type': 'object',
        'required': ['name', 'password'],
        'additionalProperties': True,
        'properties': {
            'name': name_string,
            'password': non_empty_string,
            'host': host_string,
            'databases': databases_ref_list,
        },
    },
}

configuration_id = {'oneOf': [uuid, {'type': 'null'}]}

module_list = {
    'type': 'array',
    'minItems': 0,
    'items': {
        'type': 'object',
        'required': ['id'],
        'additionalProperties': True,
        'properties': {'id': uuid},
    },
}

datastore = {
    'type': 'object',
    'additionalProperties': True,
    'properties': {
        'type': non_empty_string,
        'version': non_empty_string,
        'version_number': non_empty_string,
    },
}

cidr = {
    'type': 'string',
    'pattern': r'^(\d{1,3}\.){3}\d{1,3}(/\d{1,2})?$',
}

access = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'is_public': {'type': 'boolean'},
        'allowed_cidrs': {'type': 'array', 'uniqueItems': True,
                          'items': cidr},
    },
}


def wrapped(key, schema, **extra):
    """A body of one required top-level ``key``."""
    body = {'type': 'object', 'required': [key],
            'properties': {key: schema}, 'additionalProperties': True}
    body.update(extra)
    return body
