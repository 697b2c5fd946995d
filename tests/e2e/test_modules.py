"""Modules end to end with the legacy trove CLI (OpenStackClient has no
module commands), on a real MariaDB instance.

A user creates a ``ping`` module (its contents are stored encrypted in
the control database), creates an instance with it, applies a second
module after creation, and ``module-query`` reports both as applied by
the guest, whose files hold the contents. Updating a module and
``module-reapply`` brings the new contents to the instance; a module
applied to an instance cannot be deleted (403) until it is removed.
Admin-only options (auto-apply, all tenants) answer 403 to a user; an
administrator's auto-apply module lands on a new instance of the
datastore without being named.
"""

import base64
import glob
import json
import os
import uuid

import pytest

from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli
from tests.e2e.sql_logins import status_of
from trove.db import api as db_api
from trove.db import models as db_models

pytestmark = pytest.mark.e2e


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _json(result):
    output = _ok(result)
    # module-list warns first that it cannot tell the caller's role
    # (noauth has no token data): the JSON follows.
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.startswith(('[', '{'))), 0)
    try:
        return json.loads('\n'.join(lines[start:]))
    except ValueError:
        raise AssertionError('not JSON: %r %r' % (output, result.stderr))


def _contents_files(trove_system, instance_id, name):
    return glob.glob(os.path.join(trove_system.instance_dir(instance_id),
                                  'run', 'modules', '*', name,
                                  'contents.dat'))


def test_modules_through_the_legacy_cli(trove_system, cli_env, trove,
                                        project_id, tmp_path):
    first = tmp_path / 'first.txt'
    first.write_text('hello from the first module\n')
    second = tmp_path / 'second.txt'
    second.write_text('second module v1\n')
    tag = uuid.uuid4().hex[:6]
    created = _json(run_cli(cli_env, 'trove', '--json', 'module-create',
                            'm1-' + tag, 'ping', str(first),
                            '--datastore', 'mariadb'))
    assert (created['type'], created['datastore']) == ('ping', 'mariadb')
    m2 = _json(run_cli(cli_env, 'trove', '--json', 'module-create',
                       'm2-' + tag, 'ping', str(second)))
    listed = {m['name'] for m in _json(run_cli(cli_env, 'trove', '--json',
                                               'module-list'))}
    assert {'m1-' + tag, 'm2-' + tag} <= listed

    # Stored encrypted: the control DB does not hold the plain text.
    trove_system_db = _control_db(trove_system)
    with trove_system_db() as session:
        row = session.get(db_models.Module, created['id'])
        assert row.md5 == created['md5']
        assert 'hello' not in row.contents
        assert base64.b64encode(b'hello').decode()[:4] not in row.contents

    # Admin-only options.
    result = run_cli(cli_env, 'trove', 'module-create', 'auto-' + tag,
                     'ping', str(first), '--auto_apply')
    assert result.returncode != 0 and '403' in result.stderr

    instance = trove.instances.create(
        'mod-db', flavor_id='1', volume={'size': 1}, datastore='mariadb',
        modules=[created['id']])
    try:
        e2e.wait_for_instance(trove, instance.id, system=trove_system)
        _ok(run_cli(cli_env, 'trove', 'module-apply', instance.id,
                    m2['id']))
        queried = {m['name']: m for m in _json(run_cli(
            cli_env, 'trove', '--json', 'module-query', instance.id))}
        assert queried['m1-' + tag]['status'] == 'OK'
        assert 'hello from the first module' in \
            queried['m1-' + tag]['message']
        assert queried['m2-' + tag]['md5'] == m2['md5']
        [path] = _contents_files(trove_system, instance.id, 'm1-' + tag)
        assert open(path).read() == 'hello from the first module\n'
        recorded = {m['name'] for m in _json(run_cli(
            cli_env, 'trove', '--json', 'module-list-instance',
            instance.id))}
        assert recorded == {'m1-' + tag, 'm2-' + tag}

        # A new version of m2 reaches the instance with module-reapply.
        second.write_text('second module v2\n')
        updated = _json(run_cli(cli_env, 'trove', '--json', 'module-update',
                                m2['id'], '--file', str(second)))
        assert updated['md5'] != m2['md5']
        _ok(run_cli(cli_env, 'trove', 'module-reapply', m2['id']))
        [path] = _contents_files(trove_system, instance.id, 'm2-' + tag)
        assert open(path).read() == 'second module v2\n'
        counted = _json(run_cli(cli_env, 'trove', '--json',
                                'module-instances', m2['id']))
        assert [i['id'] for i in counted] == [instance.id]

        # Applied: cannot be deleted until removed.
        assert status_of(trove.modules.delete, m2['id']) == 403
        _ok(run_cli(cli_env, 'trove', 'module-remove', instance.id,
                    m2['id']))
        assert _contents_files(trove_system, instance.id, 'm2-' + tag) == []
        _ok(run_cli(cli_env, 'trove', 'module-delete', m2['id']))
    finally:
        trove.instances.delete(instance.id)
        e2e.wait_for_deleted(trove, instance.id)
    _ok(run_cli(cli_env, 'trove', 'module-delete', created['id']))


def test_admin_auto_apply_module_lands_on_new_instances(trove_system,
                                                        project_id, tmp_path):
    admin = trove_system.admin_client('admin')
    name = 'auto-' + uuid.uuid4().hex[:6]
    module = admin.modules.create(name, 'ping', 'applied to everyone',
                                  datastore='postgresql', auto_apply=True,
                                  all_tenants=True)
    assert module.is_admin and module.tenant == 'All'
    trove = trove_system.client(project_id)
    instance = trove.instances.create('auto-db', flavor_id='1',
                                      volume={'size': 1},
                                      datastore='postgresql')
    try:
        e2e.wait_for_instance(trove, instance.id, system=trove_system)
        queried = {m.name: m for m in
                   trove.instances.module_query(instance.id)}
        assert queried[name].status == 'OK'
        # A user cannot change an administrator's module.
        assert status_of(trove.modules.update, module.id,
                         name='mine') == 403
    finally:
        trove.instances.delete(instance.id)
        e2e.wait_for_deleted(trove, instance.id)
    admin.modules.delete(module.id)


def _control_db(trove_system):
    """A session factory on the system's control database."""
    import contextlib

    from trove.common import context as trove_context

    url = 'sqlite:///%s' % os.path.join(trove_system.state_dir,
                                        'trove.sqlite')

    @contextlib.contextmanager
    def session():
        db_api.configure(url)
        try:
            with db_api.reader(trove_context.get_admin_context()) as s:
                yield s
        finally:
            db_api.configure()
    return session
