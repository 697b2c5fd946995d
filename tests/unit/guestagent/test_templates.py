"""The datastore config templates scale their memory settings with RAM."""

import configparser
import pathlib
import re

import jinja2
import pytest

TEMPLATES_DIR = pathlib.Path(__file__).resolve().parents[3] / 'trove' / \
    'templates'
SMALL, LARGE = 512, 4096


def render(manager, ram_mb):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
                             undefined=jinja2.StrictUndefined)
    return env.get_template('%s/config.template' % manager).render(
        flavor={'id': '7', 'name': 'f%d' % ram_mb, 'ram': ram_mb,
                'vcpus': 2, 'disk': 10},
        datastore={'name': manager, 'manager': manager, 'version': '1.0'},
        server_id=4242)


def mysql_settings(text):
    parser = configparser.ConfigParser(allow_no_value=True,
                                       inline_comment_prefixes=('#',))
    parser.read_string(text)
    return parser['mysqld']


def megabytes(value):
    match = re.fullmatch(r"'?(\d+)(M|MB|G|GB)?'?", value.strip())
    number = int(match.group(1))
    return number * 1024 if match.group(2) in ('G', 'GB') else number


def postgresql_settings(text):
    settings = {}
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        if '=' in line:
            key, value = line.split('=', 1)
            settings[key.strip()] = value.strip()
    return settings


@pytest.mark.parametrize('manager', ['mariadb', 'mysql'])
def test_mysql_family_templates_scale_with_ram(manager):
    small = mysql_settings(render(manager, SMALL))
    large = mysql_settings(render(manager, LARGE))
    assert megabytes(small['innodb_buffer_pool_size']) == SMALL // 2
    assert megabytes(large['innodb_buffer_pool_size']) == LARGE // 2
    assert int(large['max_connections']) > int(small['max_connections'])
    assert int(small['max_connections']) >= 50
    assert small['server_id'] == '4242'
    # Pure tuning: the agent owns paths, address and port.
    for owned in ('datadir', 'socket', 'port', 'bind_address', 'bind-address',
                  'pid_file', 'pid-file', 'log_error'):
        assert owned not in small


def test_mariadb_redo_log_stays_small():
    small = mysql_settings(render('mariadb', SMALL))
    large = mysql_settings(render('mariadb', LARGE))
    assert megabytes(small['innodb_log_file_size']) <= 32
    assert megabytes(large['innodb_log_file_size']) <= 256


def test_postgresql_template_scales_with_ram():
    small = postgresql_settings(render('postgresql', SMALL))
    large = postgresql_settings(render('postgresql', LARGE))
    assert megabytes(small['shared_buffers']) == SMALL // 4
    assert megabytes(large['shared_buffers']) == LARGE // 4
    assert megabytes(large['effective_cache_size']) == LARGE * 3 // 4
    assert megabytes(small['effective_cache_size']) == SMALL * 3 // 4
    assert int(large['max_connections']) > int(small['max_connections'])
    for owned in ('data_directory', 'port', 'listen_addresses', 'hba_file',
                  'unix_socket_directories'):
        assert owned not in small
