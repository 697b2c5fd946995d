"""The curation rules of tools/generate_parameter_rules.py
(trove/configuration/engine_rules)."""

import pytest

from trove.configuration import engine_rules
from trove.configuration.engine_rules import mariadb
from trove.configuration.engine_rules import postgresql


@pytest.mark.parametrize('name,var_type,scope,klass', [
    ('datadir', 'VARCHAR', 'GLOBAL', 'files'),
    ('innodb_data_home_dir', 'VARCHAR', 'GLOBAL', 'files'),
    ('general_log_file', 'VARCHAR', 'GLOBAL', 'files'),
    ('secure_file_priv', 'VARCHAR', 'GLOBAL', 'security'),
    ('ssl_cipher', 'VARCHAR', 'GLOBAL', 'security'),
    ('innodb_encrypt_tables', 'ENUM', 'GLOBAL', 'security'),
    ('port', 'INT UNSIGNED', 'GLOBAL', 'network identity'),
    ('wsrep_cluster_name', 'VARCHAR', 'GLOBAL', 'cluster identity'),
    ('plugin_maturity', 'ENUM', 'GLOBAL', 'plugins'),
    ('innodb_buffer_pool_dump_now', 'BOOLEAN', 'GLOBAL', 'actions'),
    ('timestamp', 'DOUBLE', 'SESSION ONLY', 'session only'),
    ('innodb_buffer_pool_size', 'BIGINT UNSIGNED', 'GLOBAL', 'innodb'),
    ('wait_timeout', 'BIGINT UNSIGNED', 'SESSION', 'server'),
])
def test_mariadb_classes(name, var_type, scope, klass):
    assert mariadb.variable_class(name, var_type, scope) == klass


def test_mariadb_variables_become_rules():
    row = ('wait_timeout', 'BIGINT UNSIGNED', 'SESSION', 'NO', '1',
           '31536000', None, 'REQUIRED', '28800')
    assert mariadb.variable(row).rule() == {
        'name': 'wait_timeout', 'restart_required': False,
        'type': 'integer', 'min': 1, 'max': 31536000}
    row = ('sql_mode', 'SET', 'SESSION', 'NO', None, None, 'ANSI,ORACLE',
           'REQUIRED', '')
    assert mariadb.variable(row).rule() == {
        'name': 'sql_mode', 'restart_required': False, 'type': 'string',
        'allowed_values': ['ANSI', 'ORACLE'], 'multiple': True}
    row = ('back_log', 'BIGINT UNSIGNED', 'GLOBAL', 'YES', '0', '65535',
           None, 'REQUIRED', '80')
    assert mariadb.variable(row).restart_required is True
    # Not settable at start-up, or only per session: no rule at all.
    assert mariadb.variable(('version', 'VARCHAR', 'GLOBAL', 'YES',
                                 None, None, None, None, 'x')) is None
    # ...unless the server parses its option itself.
    row = ('character_set_server', 'ENUM', 'SESSION', 'NO', None, None,
           None, None, 'utf8mb4')
    assert mariadb.variable(row).rule()['type'] == 'string'


def test_postgresql_classes_and_rules():
    assert postgresql.setting_class('Resource Usage / Memory', 'user') == \
        'Resource Usage'
    assert postgresql.setting_class('File Locations', 'postmaster') == 'denied'
    assert postgresql.setting_class('Preset Options', 'internal') == 'internal'
    assert postgresql.setting_class('Client Connection Defaults / Statement '
                                'Behavior', 'user', ['NOT_IN_SAMPLE']) == \
        'not in sample'
    row = ('shared_buffers', 'integer', 'postmaster',
           'Resource Usage / Memory', '16', '1073741823', None, '16384',
           [])
    assert postgresql.variable(row).rule() == {
        'name': 'shared_buffers', 'restart_required': True,
        'type': 'integer', 'min': 16, 'max': 1073741823}
    row = ('jit', 'bool', 'user', 'Query Tuning / Other Planner Options',
           None, None, None, 'on', [])
    assert postgresql.variable(row).rule()['type'] == 'boolean'


def test_curation_keeps_allowed_classes_minus_exceptions():
    keep = engine_rules.Variable('wait_timeout', 'integer', False, 'server')
    path = engine_rules.Variable('datadir', 'string', True, 'files')
    named = engine_rules.Variable('server_id', 'integer', False, 'server')
    assert engine_rules.curate([keep, path, named], mariadb.DENIED_CLASSES,
                               mariadb.EXCLUDED) == [keep]
