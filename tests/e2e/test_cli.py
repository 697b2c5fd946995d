"""The real CLIs against trove-local, configured only by its openrc."""

import json

import pytest

from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.e2e


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_openstack_and_trove_cli_instance_commands(cli_env, trove,
                                                   trove_system):
    created = json.loads(_ok(run_cli(
        cli_env, 'openstack', 'database', 'instance', 'create', 'cli-db',
        '--flavor', '1', '--size', '1', '--datastore', 'mariadb',
        '--datastore-version', '10.11', '-f', 'json')))
    instance_id = created['id']
    try:
        e2e.wait_for_instance(trove, instance_id, system=trove_system)

        listed = json.loads(_ok(run_cli(
            cli_env, 'openstack', 'database', 'instance', 'list',
            '-f', 'json')))
        assert [i['ID'] for i in listed] == [instance_id]

        shown = json.loads(_ok(run_cli(
            cli_env, 'openstack', 'database', 'instance', 'show',
            instance_id, '-f', 'json')))
        assert shown['status'] == 'ACTIVE'
        assert shown['name'] == 'cli-db'

        # The legacy CLI: JSON output (its table output prints b'...'
        # under Python 3, an upstream client bug).
        legacy_list = json.loads(_ok(run_cli(cli_env, 'trove', '--json',
                                             'list')))
        assert [i['id'] for i in legacy_list] == [instance_id]
        legacy_show = json.loads(_ok(run_cli(cli_env, 'trove', '--json',
                                             'show', instance_id)))
        assert legacy_show['status'] == 'ACTIVE'
        # Also the plain table form works.
        assert instance_id in _ok(run_cli(cli_env, 'trove', 'list'))
        # Find by name goes through the 404 fallback of the clients.
        by_name = json.loads(_ok(run_cli(
            cli_env, 'openstack', 'database', 'instance', 'show', 'cli-db',
            '-f', 'json')))
        assert by_name['id'] == instance_id
    finally:
        trove.instances.delete(instance_id)
        e2e.wait_for_deleted(trove, instance_id)
