"""Databases and users as they travel in guest RPC messages.

The wire form is upstream's serialized model: databases
``{"_name", "_character_set", "_collate"}`` and users ``{"_name", "_host",
"_password", "_databases": [{"_name"}]}``. Plain keys (``name``...) are
accepted too. Engine admin modules receive these objects, never raw dicts.
"""

import dataclasses

from trove.guestagent import errors


def _get(data, key, default=None):
    if not isinstance(data, dict):
        raise errors.GuestAgentError('Expected an object, got %r' % (data,))
    value = data.get('_' + key, data.get(key, default))
    return default if value is None else value


def _name(data, kind):
    name = _get(data, 'name')
    if not isinstance(name, str) or not name:
        raise errors.GuestAgentError('A %s needs a non-empty name: %r'
                                     % (kind, data))
    return name


@dataclasses.dataclass(frozen=True)
class Database:
    name: str
    character_set: str | None = None
    collate: str | None = None

    @classmethod
    def deserialize(cls, data):
        return cls(_name(data, 'database'), _get(data, 'character_set'),
                   _get(data, 'collate'))

    def serialize(self):
        return {'_name': self.name, '_character_set': self.character_set,
                '_collate': self.collate}


@dataclasses.dataclass(frozen=True)
class User:
    name: str
    password: str | None = None
    host: str = '%'
    databases: tuple = ()

    @classmethod
    def deserialize(cls, data):
        databases = tuple(_name(db, 'database') if isinstance(db, dict)
                          else str(db)
                          for db in _get(data, 'databases', []))
        return cls(_name(data, 'user'), _get(data, 'password'),
                   _get(data, 'host', '%'), databases)

    def serialize(self):
        return {'_name': self.name, '_host': self.host,
                '_password': self.password,
                '_databases': [{'_name': db} for db in self.databases]}


def databases_from(serialized):
    return [Database.deserialize(item) for item in serialized or []]


def users_from(serialized):
    return [User.deserialize(item) for item in serialized or []]
