"""The legacy ``trove`` CLI's database, user and root commands against
trove-local, configured only by the project's openrc; real logins check
what the commands did.

JSON output (``trove --json``) is parsed where there is output: the
table form prints b'...' under Python 3, an upstream client bug.
"""

import json

import pytest

from tests.e2e import sql_logins
from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.e2e


def trove_cli(env, *args):
    result = run_cli(env, 'trove', *args)
    assert result.returncode == 0, (args, result.stdout + result.stderr)
    return result.stdout


def trove_json(env, *args):
    return json.loads(trove_cli(env, '--json', *args))


def test_legacy_cli_databases_users_and_root(cli_env, trove, trove_system):
    created = trove.instances.create('cli-users', flavor_id='1',
                                     volume={'size': 1}, datastore='mariadb')
    iid = created.id
    try:
        address = e2e.wait_for_instance(trove, iid,
                                        system=trove_system).ip[0]

        def can_login(user, password, database=None):
            return sql_logins.can_login('mariadb', address, user, password,
                                        database)

        # Databases.
        trove_cli(cli_env, 'database-create', iid, 'clidb',
                  '--character_set', 'utf8mb4', '--collate',
                  'utf8mb4_general_ci')
        trove_cli(cli_env, 'database-create', iid, 'otherdb')
        listed = trove_json(cli_env, 'database-list', iid)
        assert sorted(d['name'] for d in listed) == ['clidb', 'otherdb']

        # Users: create with access, show, list, grant, revoke.
        trove_cli(cli_env, 'user-create', iid, 'cliuser', 'cli-pw-1',
                  '--databases', 'clidb')
        assert can_login('cliuser', 'cli-pw-1', 'clidb')
        assert not can_login('cliuser', 'cli-pw-1', 'otherdb')
        shown = trove_json(cli_env, 'user-show', iid, 'cliuser')
        assert shown['name'] == 'cliuser' and shown['host'] == '%'
        users = trove_json(cli_env, 'user-list', iid)
        assert [(u['name'], [d['name'] for d in u['databases']])
                for u in users] == [('cliuser', ['clidb'])]

        trove_cli(cli_env, 'user-grant-access', iid, 'cliuser', 'otherdb')
        access = trove_json(cli_env, 'user-show-access', iid, 'cliuser')
        assert sorted(d['name'] for d in access) == ['clidb', 'otherdb']
        assert can_login('cliuser', 'cli-pw-1', 'otherdb')
        trove_cli(cli_env, 'user-revoke-access', iid, 'cliuser', 'otherdb')
        access = trove_json(cli_env, 'user-show-access', iid, 'cliuser')
        assert [d['name'] for d in access] == ['clidb']
        assert not can_login('cliuser', 'cli-pw-1', 'otherdb')

        # A refusal is an error exit with the API's message.
        refused = run_cli(cli_env, 'trove', 'user-create', iid, 'cliuser',
                          'cli-pw-2')
        assert refused.returncode != 0
        assert 'already exists' in refused.stderr + refused.stdout

        # Root.
        assert trove_json(cli_env, 'root-show', iid) == {
            'is_root_enabled': False}
        root = trove_json(cli_env, 'root-enable', iid)
        assert root['name'] == 'root'
        assert can_login('root', root['password'])
        assert trove_json(cli_env, 'root-show', iid) == {
            'is_root_enabled': True}
        trove_cli(cli_env, 'root-disable', iid)
        assert not can_login('root', root['password'])
        root = trove_json(cli_env, 'root-enable', iid, '--root_password',
                          'Cli-Root-Pw-9')
        assert root['password'] == 'Cli-Root-Pw-9'
        assert can_login('root', 'Cli-Root-Pw-9')
        trove_cli(cli_env, 'root-disable', iid)

        # Deletions.
        trove_cli(cli_env, 'user-delete', iid, 'cliuser')
        assert not can_login('cliuser', 'cli-pw-1', 'clidb')
        assert trove_json(cli_env, 'user-list', iid) == []
        trove_cli(cli_env, 'database-delete', iid, 'otherdb')
        listed = trove_json(cli_env, 'database-list', iid)
        assert [d['name'] for d in listed] == ['clidb']
    finally:
        trove.instances.delete(iid)
        e2e.wait_for_deleted(trove, iid)
