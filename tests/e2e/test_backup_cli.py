"""The real CLIs on backups and backup strategies, against the default
trove-local: ``openstack database backup ...`` and the legacy ``trove
backup-*`` commands. The backup is an existing file registered with
``restore_from`` (as a copy from another region would be), so no
instance is needed."""

import json
import os
import uuid

import pytest

from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.e2e


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_backup_commands_of_both_clis(cli_env, trove, trove_system):
    directory = os.path.join(trove_system.state_dir, 'backups', 'copied')
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, '%s.xbstream.gz' % uuid.uuid4())
    with open(path, 'wb') as copied:
        copied.write(os.urandom(4096))
    version = trove.datastore_versions.list('mariadb')[0]
    backup = trove.backups.create(
        'copied', None, restore_from='file://' + path,
        restore_ds_version=version.id, restore_size=0.1)
    assert backup.status == 'RESTORED'

    listed = json.loads(_ok(run_cli(cli_env, 'openstack', 'database',
                                    'backup', 'list', '-f', 'json')))
    assert [(b['ID'], b['Name'], b['Status']) for b in listed] == [
        (backup.id, 'copied', 'RESTORED')]
    shown = json.loads(_ok(run_cli(cli_env, 'openstack', 'database',
                                   'backup', 'show', 'copied', '-f',
                                   'json')))
    assert (shown['id'], shown['locationRef'], shown['datastore']) == (
        backup.id, 'file://' + path, 'mariadb')
    legacy = json.loads(_ok(run_cli(cli_env, 'trove', '--json',
                                    'backup-list')))
    assert [b['id'] for b in legacy] == [backup.id]

    _ok(run_cli(cli_env, 'openstack', 'database', 'backup', 'strategy',
                'create', '--swift-container', 'cli_container'))
    strategies = json.loads(_ok(run_cli(
        cli_env, 'openstack', 'database', 'backup', 'strategy', 'list',
        '-f', 'json')))
    assert [s['Swift Container'] for s in strategies] == ['cli_container']
    _ok(run_cli(cli_env, 'openstack', 'database', 'backup', 'strategy',
                'delete'))

    _ok(run_cli(cli_env, 'openstack', 'database', 'backup', 'delete',
                backup.id))
    assert trove.backups.list() == []
    # A registered copy's file is never deleted with its backup.
    assert os.path.exists(path)
    os.unlink(path)
