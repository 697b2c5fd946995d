"""Databases and users in the serialized form of guest RPC messages."""

import pytest

from trove.guestagent import errors
from trove.guestagent import models


def test_user_from_upstream_form():
    user = models.User.deserialize({
        '_name': 'app', '_host': '%', '_password': 'pw',
        '_databases': [{'_name': 'a'}, {'_name': 'b'}]})
    assert user == models.User('app', 'pw', '%', ('a', 'b'))
    assert models.User.deserialize(user.serialize()) == user


def test_user_host_defaults_to_anywhere():
    assert models.User.deserialize({'name': 'app', 'password': 'pw',
                                    'host': None}).host == '%'


def test_database_from_upstream_form():
    database = models.Database.deserialize(
        {'_name': 'shop', '_character_set': 'utf8mb4', '_collate': None})
    assert database == models.Database('shop', 'utf8mb4', None)
    assert models.databases_from(None) == []


@pytest.mark.parametrize('bad', [{}, {'_name': ''}, {'_name': 3}, 'shop'])
def test_a_name_is_required(bad):
    with pytest.raises(errors.GuestAgentError):
        models.Database.deserialize(bad)
