"""trove-manage as operators run it, on each control-database backend."""

import json
import os
import subprocess
import sys
from concurrent import futures

import pytest

from tests.functional.api import app as api_app

pytestmark = pytest.mark.functional

TROVE_MANAGE = os.path.join(os.path.dirname(sys.executable), 'trove-manage')

RULES = {'configuration-parameters': [
    {'name': 'connect_timeout', 'restart_required': False, 'max': 65535,
     'min': 2, 'type': 'integer'},
    {'name': 'innodb_buffer_pool_size', 'restart_required': True,
     'max': 68719476736, 'min': 0, 'type': 'integer'},
    {'name': 'character_set_server', 'restart_required': False,
     'type': 'string'},
]}


class Manage:
    """Runs trove-manage with a config file naming the database."""

    def __init__(self, tmp_path, url):
        self.config_file = tmp_path / 'trove.conf'
        self.config_file.write_text(
            '[DEFAULT]\nstate_path = %s\n[database]\nconnection = %s\n'
            % (tmp_path, url))

    def __call__(self, *args):
        env = dict(os.environ, PYTHONWARNINGS='ignore')
        return subprocess.run(
            [TROVE_MANAGE, '--config-file', str(self.config_file)]
            + list(args), capture_output=True, text=True, env=env,
            timeout=60)

    def ok(self, *args):
        result = self(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def refused(self, *args):
        """A failed command: its one-line error (no traceback)."""
        result = self(*args)
        assert result.returncode != 0, result.stdout
        assert 'Traceback' not in result.stderr
        errors = [line for line in result.stderr.splitlines()
                  if line.startswith('error:')]
        assert len(errors) == 1, result.stderr
        return errors[0]


@pytest.fixture
def manage(tmp_path, control_db_url):
    return Manage(tmp_path, control_db_url)


def _datastore_chain(manage, rules_file):
    manage.ok('datastore_update', 'mariadb', '')
    manage.ok('datastore_version_update', 'mariadb', '10.11', 'mariadb',
              '', '', '1', '--version', '10.11.6', '--image-tags',
              'trove,local')
    manage.ok('datastore_update', 'mariadb', '10.11')
    return manage.ok('db_load_datastore_config_parameters', 'mariadb',
                     '10.11', str(rules_file))


def _flavor_chain(manage):
    manage.ok('flavor_create', 'small', '1024', '1', '5')
    manage.ok('flavor_create', 'large', '8192', '4', '40', '--id', 'big-1')
    duplicate = manage.refused('flavor_create', 'small', '512', '1', '1')
    return duplicate, manage.ok('flavor_list')


def test_operator_workflow(manage, control_db_url, tmp_path):
    assert 'revision' in manage.ok('db_sync')
    rules = tmp_path / 'validation-rules.json'
    rules.write_text(json.dumps(RULES))
    # Datastores and flavors do not depend on each other: both command
    # chains run at once to keep the test short.
    with futures.ThreadPoolExecutor(2) as pool:
        datastores = pool.submit(_datastore_chain, manage, rules)
        flavors = pool.submit(_flavor_chain, manage)
        assert 'Loaded 3' in datastores.result()
        duplicate, listed = flavors.result()
    assert 'already exists' in duplicate
    lines = listed.splitlines()
    assert lines[0].split() == ['ID', 'Name', 'RAM', 'VCPUs', 'Disk',
                                'Ephemeral']
    assert [line.split() for line in lines[1:]] == [
        ['1', 'small', '1024', '1', '5', '0'],
        ['big-1', 'large', '8192', '4', '40', '0']]
    manage.ok('flavor_delete', 'big-1')

    with api_app.in_process_api(control_db_url, tmp_path) as api:
        datastore = api.get('/v1.0/p1/datastores/mariadb',
                            headers=api_app.ADMIN).json['datastore']
        [version] = datastore['versions']
        assert datastore['default_version'] == version['id']
        assert (version['name'], version['active'], version['image_tags'],
                version['image']) == ('10.11', True, ['trove', 'local'],
                                      None)
        shown = api.get('/v1.0/p1/datastores/mariadb/versions/10.11')
        assert shown.json['version']['version'] == '10.11.6'
        params = api.get('/v1.0/p1/datastores/mariadb/versions/10.11/'
                         'parameters').json['configuration-parameters']
        assert sorted((p['name'], p['type'], p.get('min'), p.get('max'),
                       p['restart_required']) for p in params) == [
            ('character_set_server', 'string', None, None, False),
            ('connect_timeout', 'integer', 2, 65535, False),
            ('innodb_buffer_pool_size', 'integer', 0, 68719476736, True)]
        flavors = api.get('/v1.0/p1/flavors').json['flavors']
        assert [(f['id'], f['str_id'], f['name']) for f in flavors] == [
            (1, '1', 'small')]
        assert api.get('/v1.0/p1/flavors/big-1').status_int == 404


def test_bad_input_is_a_one_line_error(tmp_path):
    """Errors that do not depend on the backend, on SQLite only."""
    url = 'sqlite:///%s' % (tmp_path / 'trove.sqlite')
    api_app.migrate(url)
    manage = Manage(tmp_path, url)
    assert "Datastore 'nosuch' cannot be found" in manage.refused(
        'datastore_version_update', 'nosuch', '1.0', 'mysql', '', '', '1')
    assert "Datastore 'nosuch' cannot be found" in manage.refused(
        'db_load_datastore_config_parameters', 'nosuch', '1.0',
        str(tmp_path / 'rules.json'))
    assert 'Flavor 99 cannot be found' in manage.refused('flavor_delete',
                                                         '99')
