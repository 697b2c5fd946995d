"""Parsing rendered configuration templates into {key: value}."""

from trove.common import template
from trove.configuration import defaults

FLAVOR = {'id': '2', 'name': 'small', 'ram': 1024, 'vcpus': 1, 'disk': 5}


def _rendered(datastore, version):
    return template.render_config(FLAVOR, datastore, version, datastore,
                                  'a2b5f0e4-1a43-4f1c-9a57-2b7f3c3a1d10')


def test_mysql_option_file():
    text = ('[client]\nport = 3306\n\n[mysqld]\n# tuning\n'
            'max_connections = 128\ninnodb_buffer_pool_size = 512M\n'
            'skip-external-locking\nsql_mode = "ANSI,STRICT_ALL_TABLES"\n'
            '!includedir /etc/mysql/conf.d\n[mysqldump]\nquick\n')
    assert defaults.parse_config(text) == {
        'max_connections': 128, 'innodb_buffer_pool_size': '512M',
        'skip-external-locking': 1, 'sql_mode': 'ANSI,STRICT_ALL_TABLES'}


def test_postgresql_file():
    text = ("max_connections = 64   # scales with RAM\n"
            "shared_buffers = 256MB\nlog_line_prefix = '%m [%p] # '\n"
            "random_page_cost = 1.1\n")
    assert defaults.parse_config(text) == {
        'max_connections': 64, 'shared_buffers': '256MB',
        'log_line_prefix': '%m [%p] # ', 'random_page_cost': '1.1'}


def test_packaged_templates_parse():
    mariadb = defaults.parse_config(_rendered('mariadb', '10.11'))
    assert mariadb['max_connections'] == 128
    assert mariadb['innodb_buffer_pool_size'] == '512M'
    assert 'default-character-set' not in mariadb   # [client] section
    postgresql = defaults.parse_config(_rendered('postgresql', '15'))
    assert postgresql['shared_buffers'] == '256MB'
    assert postgresql['timezone'] == 'UTC'
