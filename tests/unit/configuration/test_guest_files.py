"""How the guest agent writes overrides files and reads values back."""

import pytest

from trove.guestagent import errors
from trove.guestagent.datastore import configuration
from trove.guestagent.datastore.mysql_common import configuration as mysql
from trove.guestagent.datastore.postgresql import configuration as pg


def test_mysql_option_file():
    text = mysql.render({'wait_timeout': 100, 'local_infile': True,
                         'long_query_time': 0.5, 'sql_mode': 'ANSI,NO_ZERO_DATE',
                         'ft_boolean_syntax': '+ -><()~*:""&|',
                         'init_value': "it's"})
    lines = text.splitlines()
    assert lines[1] == '[mysqld]'
    assert lines[2:] == ["ft_boolean_syntax = '+ -><()~*:\"\"&|'",
                         'init_value = "it\'s"', 'local_infile = ON',
                         'long_query_time = 0.5',
                         'sql_mode = ANSI,NO_ZERO_DATE', 'wait_timeout = 100']


def test_mysql_value_that_cannot_be_quoted():
    with pytest.raises(ValueError):
        mysql.option_value('both \' and "')
    with pytest.raises(errors.GuestAgentError):
        mysql.MySqlLiveConfig.render({'x': 'both \' and "'})


def test_mysql_base_values_and_sizes():
    base = mysql.parse_option_file(
        '[client]\nport = 1\n[mysqld]\nmax_connections = 64\n'
        'innodb-buffer-pool-size = 256M\nskip_name_resolve\n'
        "collation_server = 'utf8mb4_general_ci'\n")
    assert base == {'max_connections': '64',
                    'innodb_buffer_pool_size': '256M',
                    'skip_name_resolve': 'ON',
                    'collation_server': 'utf8mb4_general_ci'}
    integer = mysql.Variable('innodb_buffer_pool_size', 'BIGINT UNSIGNED',
                             False, None)
    double = mysql.Variable('long_query_time', 'DOUBLE', False, None)
    assert mysql.sql_value(integer, '256M') == 256 * 2 ** 20
    assert mysql.sql_value(integer, '1g') == 2 ** 30
    assert mysql.sql_value(integer, 4096) == 4096
    assert mysql.sql_value(double, '2.5') == 2.5
    assert mysql.sql_value(None, True) == 'ON'
    assert mysql.sql_value(None, 'ROW') == 'ROW'


def test_postgresql_file():
    text = pg.render({'work_mem': 4096, 'jit': False,
                      'random_page_cost': 1.5, 'search_path': "a's, b\\c"})
    assert text.splitlines()[1:] == [
        'jit = off', 'random_page_cost = 1.5',
        "search_path = 'a''s, b\\\\c'", 'work_mem = 4096']


@pytest.mark.parametrize('overrides', [
    {'bad name': 1}, {'x;y': 1}, {'wait_timeout': None},
    {'wait_timeout': [1]}, {'init': 'a\ninit_file=/etc/shadow'}, ['x'],
])
def test_overrides_that_do_not_belong_in_a_file(overrides):
    with pytest.raises(errors.GuestAgentError):
        configuration.check_overrides(overrides)
