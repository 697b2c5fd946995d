"""Bodies of database, user, user-access and root requests."""

from trove.common.schemas import types

database_create = types.wrapped('databases', types.databases_def)

user_create = types.wrapped('users', types.users_list)

user_update_all = types.wrapped('users', types.users_list)

user_update = types.wrapped('user', types.user_attributes)

user_access_update = types.wrapped('databases', types.databases_ref_list)

root_create = {
    'oneOf': [
        {'type': 'null'},
        {'type': 'object', 'additionalProperties': True,
         'properties': {'password': types.non_empty_string}},
    ]
}
