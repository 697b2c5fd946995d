"""Names, hosts and user ids checked by the API before any guest call."""

import pytest

from trove.common import exception
from trove.extensions.common import guest_models
from trove.extensions.common import user_ids


@pytest.mark.parametrize('host', ['%', None, '10.1.%', '10.%', '1.2.3.4',
                                  '192.168.0.%', '::1', '10.0.0.0/8'])
def test_mysql_hosts_accepted(host):
    guest_models.validate_host('mariadb', host)


@pytest.mark.parametrize('host', ['evil.com', "%'; DROP DATABASE mysql; --",
                                  '1.2.3', '300.1.%', 'localhost'])
def test_mysql_hosts_refused(host):
    with pytest.raises(exception.BadRequest):
        guest_models.validate_host('mariadb', host)


@pytest.mark.parametrize('name', ["x'; DROP DATABASE mysql; --", 'a`b',
                                  'semi;colon', 'n' * 17, ' lead'])
def test_mysql_user_names_refused(name):
    with pytest.raises(exception.BadRequest):
        guest_models.validate_user_name('mariadb', name)


@pytest.mark.parametrize('name', ["x'; DROP DATABASE mysql; --", 'ünï',
                                  'n' * 65, 'a`b'])
def test_mysql_database_names_refused(name):
    with pytest.raises(exception.BadRequest):
        guest_models.validate_database_name('mariadb', name)


def test_postgresql_stores_quotes_but_not_long_or_pg_names():
    guest_models.validate_user_name('postgresql',
                                    "x'; DROP DATABASE mysql; --")
    guest_models.validate_database_name('postgresql', 'dq"uote')
    for name in ('n' * 64, 'pg_mine', 'nul\x00'):
        with pytest.raises(exception.BadRequest):
            guest_models.validate_user_name('postgresql', name)


def test_reserved_names_refused():
    with pytest.raises(exception.ReservedName):
        guest_models.validate_user_name('mariadb', 'os_admin')
    with pytest.raises(exception.ReservedName):
        guest_models.validate_database_name('postgresql', 'postgres')


def test_character_sets_per_engine():
    database = {'name': 'db', 'character_set': 'UTF8',
                'collate': 'en_US.UTF-8'}
    assert guest_models.serialize_database('postgresql', database)[
        '_collate'] == 'en_US.UTF-8'
    with pytest.raises(exception.BadRequest):
        guest_models.serialize_database('mariadb', database)


def test_user_ids_from_wsgi_paths():
    # PATH_INFO is percent-decoded bytes read as latin-1 (PEP 3333).
    raw = 'ünï@10.%'.encode().decode('latin-1')
    assert user_ids.parse('mariadb', raw) == ('ünï', '10.%')
    assert user_ids.parse('mariadb', 'bob') == ('bob', '%')
    assert user_ids.parse('postgresql', 'at@sign') == ('at@sign', '%')
    # Not unquoted twice: a literal "%41" stays.
    assert user_ids.parse('postgresql', 'pct%41') == ('pct%41', '%')


@pytest.mark.parametrize('manager', ['mariadb', 'mysql', 'postgresql'])
def test_the_failover_probe_account_is_reserved(manager):
    with pytest.raises(exception.ReservedName):
        guest_models.validate_user_name(manager, 'os_probe')
