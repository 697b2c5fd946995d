"""The generated parameter rules against the engines themselves.

* every rule's type, bounds, allowed values and restart flag are what the
  running engine (the shared test servers on 127.0.0.1) says;
* the rules cover at least 90% of the engine's settable variables of the
  classes tools/generate_parameter_rules.py allows;
* the script, run again on throwaway engines, reproduces the files in
  the repository;
* trove-manage's loader stores them and the parameters API serves them.
"""

import importlib.util
import json
import pathlib

import psycopg
import pymysql
import pytest

from tests.functional.configuration.conftest import RULES_DIR, load_rules
from trove.configuration.engine_rules import mariadb
from trove.configuration.engine_rules import postgresql

pytestmark = pytest.mark.functional

SCRIPT = pathlib.Path(__file__).resolve().parents[3] / 'tools' / \
    'generate_parameter_rules.py'
MIN_COVERAGE = 0.9
MYSQL_INTEGERS = ('INT', 'INT UNSIGNED', 'BIGINT', 'BIGINT UNSIGNED')


def script():
    spec = importlib.util.spec_from_file_location('parameter_rules', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _series(version):
    return '.'.join(version.split('.')[:2])


@pytest.fixture(scope='module')
def mariadb_variables():
    connection = pymysql.connect(host='127.0.0.1', port=3306, user='root',
                                 connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT VERSION()')
            version = cursor.fetchone()[0].split('-')[0]
            cursor.execute(
                'SELECT LOWER(VARIABLE_NAME), VARIABLE_TYPE, VARIABLE_SCOPE, '
                'READ_ONLY, NUMERIC_MIN_VALUE, NUMERIC_MAX_VALUE, '
                'ENUM_VALUE_LIST, COMMAND_LINE_ARGUMENT '
                'FROM information_schema.SYSTEM_VARIABLES')
            rows = {row[0]: row for row in cursor.fetchall()}
    finally:
        connection.close()
    document = load_rules('mariadb')
    if _series(version) != _series(document['engine_version']):
        pytest.skip('the rules are of MariaDB %s, the server is %s'
                    % (document['engine_version'], version))
    return rows, document['configuration-parameters']


@pytest.fixture(scope='module')
def postgresql_settings():
    with psycopg.connect(host='127.0.0.1', port=5432, user='postgres',
                         dbname='postgres', connect_timeout=5) as connection:
        version = connection.execute('SHOW server_version').fetchone()[0]
        rows = {row[0]: row for row in connection.execute(
            'SELECT name, vartype, context, category, min_val, max_val, '
            'enumvals FROM pg_settings').fetchall()}
        flags = {name: set(value or ()) for name, value in connection.execute(
            'SELECT name, pg_settings_get_flags(name) FROM pg_settings')}
    document = load_rules('postgresql')
    if version.split('.')[0] != document['engine_version'].split('.')[0]:
        pytest.skip('the rules are of PostgreSQL %s, the server is %s'
                    % (document['engine_version'], version))
    return rows, flags, document['configuration-parameters']


def test_mariadb_rules_match_the_engine(mariadb_variables):
    rows, rules = mariadb_variables
    assert len(rules) > 300
    for rule in rules:
        (_name, var_type, scope, read_only, minimum, maximum, choices,
         _command_line) = rows[rule['name']]
        assert scope != 'SESSION ONLY', rule
        assert rule['restart_required'] == (read_only == 'YES'), rule
        if var_type in MYSQL_INTEGERS:
            assert rule['type'] == 'integer', rule
            assert (rule['min'], rule['max']) == (int(minimum),
                                                  int(maximum)), rule
        elif var_type == 'DOUBLE':
            assert rule['type'] == 'float', rule
            assert (rule['min'], rule['max']) == (float(minimum),
                                                  float(maximum)), rule
        elif var_type == 'BOOLEAN':
            assert rule['type'] == 'boolean', rule
        else:
            assert rule['type'] == 'string', rule
            assert 'min' not in rule and 'max' not in rule, rule
            if var_type in ('ENUM', 'SET') and choices:
                assert rule['allowed_values'] == choices.split(','), rule
                assert rule.get('multiple', False) == (var_type == 'SET')
            else:
                assert 'allowed_values' not in rule, rule


def test_mariadb_rules_cover_the_allowed_classes(mariadb_variables):
    rows, rules = mariadb_variables
    allowed = {
        name for name, row in rows.items()
        if mariadb.is_settable(name, row[7], row[2])
        and mariadb.variable_class(name, row[1], row[2])
        not in mariadb.DENIED_CLASSES}
    covered = allowed & {rule['name'] for rule in rules}
    coverage = len(covered) / len(allowed)
    assert coverage >= MIN_COVERAGE, sorted(allowed - covered)
    # What is left out of the allowed classes is exactly the named
    # exceptions, each with its reason.
    assert allowed - covered <= set(mariadb.EXCLUDED)


def test_postgresql_rules_match_the_engine(postgresql_settings):
    rows, _flags, rules = postgresql_settings
    types = {'bool': 'boolean', 'integer': 'integer', 'real': 'float',
             'enum': 'string', 'string': 'string'}
    assert len(rules) > 150
    for rule in rules:
        (_name, vartype, context, _category, minimum, maximum,
         enumvals) = rows[rule['name']]
        assert context != 'internal', rule
        assert rule['restart_required'] == (context == 'postmaster'), rule
        assert rule['type'] == types[vartype], rule
        if vartype == 'integer':
            assert (rule['min'], rule['max']) == (int(minimum),
                                                  int(maximum)), rule
        elif vartype == 'real':
            assert (rule['min'], rule['max']) == (float(minimum),
                                                  float(maximum)), rule
        else:
            assert 'min' not in rule and 'max' not in rule, rule
        if vartype == 'enum':
            assert rule['allowed_values'] == list(enumvals), rule
        else:
            assert 'allowed_values' not in rule, rule


def test_postgresql_rules_cover_the_allowed_classes(postgresql_settings):
    rows, flags, rules = postgresql_settings
    allowed = {
        name for name, row in rows.items()
        if postgresql.setting_class(row[3], row[2], flags[name])
        not in postgresql.DENIED_CLASSES}
    covered = allowed & {rule['name'] for rule in rules}
    coverage = len(covered) / len(allowed)
    assert coverage >= MIN_COVERAGE, sorted(allowed - covered)
    assert allowed - covered <= set(postgresql.EXCLUDED)


def test_the_script_reproduces_the_files(tmp_path):
    assert script().main(['--output-dir', str(tmp_path)]) == 0
    for datastore in ('mariadb', 'postgresql'):
        ours = json.loads((tmp_path / datastore /
                           'validation-rules.json').read_text())
        theirs = load_rules(datastore)
        if ours['engine_version'] != theirs['engine_version']:
            pytest.skip('%s is now %s (rules of %s): run the script'
                        % (datastore, ours['engine_version'],
                           theirs['engine_version']))
        assert ours == theirs, datastore


def test_trove_manage_loads_the_rules(tmp_path):
    """trove-manage db_load_datastore_config_parameters with the generated
    files; the parameters API then serves exactly the rules."""
    from tests.functional.api import app as api_app
    from tests.functional.api import seed
    from tests.functional.test_manage import Manage
    url = 'sqlite:///%s' % (tmp_path / 'trove.sqlite')
    api_app.migrate(url)
    seed.seed_database(url)
    manage = Manage(tmp_path, url)
    for datastore, version in (('mariadb', '10.11'), ('postgresql', '15')):
        path = RULES_DIR / datastore / 'validation-rules.json'
        rules = load_rules(datastore)['configuration-parameters']
        assert 'Loaded %d configuration parameters' % len(rules) in \
            manage.ok('db_load_datastore_config_parameters', datastore,
                      version, str(path))
    with api_app.in_process_api(url, tmp_path) as api:
        for datastore, version in (('mariadb', '10.11'),
                                   ('postgresql', '15')):
            served = api.get(
                '/v1.0/p1/datastores/%s/versions/%s/parameters'
                % (datastore, version)).json['configuration-parameters']
            rules = load_rules(datastore)['configuration-parameters']
            assert [p['name'] for p in served] == sorted(
                r['name'] for r in rules)
            by_name = {p['name']: p for p in served}
            for rule in rules:
                shown = by_name[rule['name']]
                for key in ('type', 'restart_required', 'min', 'max',
                            'allowed_values', 'multiple'):
                    assert shown.get(key) == rule.get(key), (key, rule)


def test_rules_files_exist():
    for datastore in ('mariadb', 'postgresql'):
        assert (RULES_DIR / datastore / 'validation-rules.json').is_file()
