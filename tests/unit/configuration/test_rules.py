"""Validation of configuration values against parameter rules."""

import pytest

from trove.common import exception
from trove.configuration import rules
from trove.datastore import parameters

INTEGER = rules.Rule('wait_timeout', 'integer', min=1, max=31536000)
HUGE = rules.Rule('innodb_buffer_pool_size', 'integer', True, 2097152,
                  18446744073701163008)
FLOAT = rules.Rule('long_query_time', 'float', min=0.0, max=31536000.0)
BOOLEAN = rules.Rule('local_infile', 'boolean')
ENUM = rules.Rule('binlog_format', 'string',
                  allowed=('MIXED', 'STATEMENT', 'ROW'))
SET = rules.Rule('sql_mode', 'string', allowed=('ANSI', 'STRICT_ALL_TABLES'),
                 multiple=True)
STRING = rules.Rule('search_path', 'string')
RULES = {r.name: r for r in (INTEGER, HUGE, FLOAT, BOOLEAN, ENUM, SET,
                             STRING)}


@pytest.mark.parametrize('rule,value,stored', [
    (INTEGER, 1, '1'),
    (INTEGER, 31536000, '31536000'),
    (HUGE, 18446744073701163008, '18446744073701163008'),
    (FLOAT, 2, '2.0'),
    (FLOAT, 0.25, '0.25'),
    (BOOLEAN, True, 'true'),
    (BOOLEAN, 0, 'false'),
    (BOOLEAN, 'ON', 'true'),
    (BOOLEAN, 'no', 'false'),
    (ENUM, 'row', 'ROW'),
    (SET, 'strict_all_tables , ansi', 'STRICT_ALL_TABLES,ANSI'),
    (SET, '', ''),
    (STRING, '"$user", public', '"$user", public'),
])
def test_valid_values_are_stored_canonically(rule, value, stored):
    assert rules.check_value(rule, value) == stored


@pytest.mark.parametrize('rule,value,reason', [
    (INTEGER, 0, 'below the minimum 1'),
    (INTEGER, 31536001, 'above the maximum 31536000'),
    (INTEGER, '5', 'an integer is required'),
    (INTEGER, 5.0, 'an integer is required'),
    (INTEGER, False, 'an integer is required'),
    (HUGE, 18446744073709551615, 'above the maximum'),
    (FLOAT, 'fast', 'a number is required'),
    (FLOAT, -0.5, 'below the minimum'),
    (FLOAT, float('nan'), 'a number is required'),
    (BOOLEAN, 2, 'true or false is required'),
    (BOOLEAN, 'maybe', 'true or false is required'),
    (ENUM, 'JSON', 'not one of: MIXED, STATEMENT, ROW'),
    (SET, 'ANSI,NOPE', "'NOPE' not among"),
    (STRING, 7, 'a string is required'),
    (STRING, 'a\nb', 'control characters'),
    (STRING, 'x' * 129, 'longer than 128'),
])
def test_invalid_values_name_the_parameter(rule, value, reason):
    with pytest.raises(exception.ConfigurationValueInvalid) as raised:
        rules.check_value(rule, value)
    assert raised.value.code == 422
    assert rule.name in str(raised.value) and reason in str(raised.value)


def test_validate_refuses_unknown_parameters_and_empty_rules():
    with pytest.raises(rules.UnknownParameter) as raised:
        rules.validate(RULES, {'wait_timeout': 5, 'nope': 1}, 'mariadb 10.11')
    assert raised.value.code == 422
    assert 'nope' in str(raised.value) and 'mariadb 10.11' in str(
        raised.value)
    with pytest.raises(rules.ConfigurationNotSupported) as raised:
        rules.validate({}, {'wait_timeout': 5}, 'mysql 5.7')
    assert raised.value.code == 422


def test_typed_values_round_trip():
    values = {'wait_timeout': 100, 'long_query_time': 1.5,
              'local_infile': True, 'binlog_format': 'ROW', 'unknown': 'x'}
    stored = {name: rules.check_value(RULES[name], value)
              for name, value in values.items() if name in RULES}
    stored['unknown'] = 'x'
    assert rules.typed_values(RULES, stored) == values


def test_a_stored_value_the_rule_no_longer_reads_stays_a_string():
    assert rules.typed(INTEGER, 'abc') == 'abc'


def test_allowed_values_encoding():
    encoded = parameters.encode_allowed(['A', 'B'], multiple=True)
    assert parameters.decode_allowed(encoded) == (('A', 'B'), True)
    assert parameters.encode_allowed([]) is None
    assert parameters.decode_allowed(None) == (None, False)
    assert parameters.decode_allowed('not json') == (None, False)


def test_restart_required_names():
    assert rules.restart_required(RULES, ['wait_timeout',
                                          'innodb_buffer_pool_size',
                                          'nope']) == [
        'innodb_buffer_pool_size']
