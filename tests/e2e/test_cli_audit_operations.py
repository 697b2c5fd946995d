"""Audit of the operator and user commands of issue 21 with the real CLIs.

Every command of the list below runs, as a user would type it, in a shell
that sourced trove-local's ``openrc`` (project member) or ``openrc-admin``
(administrator), against one MariaDB instance. Each entry states what the
command must do: succeed (and, where it prints JSON, show what the check
looks for) or fail the documented way (``log save``/``log tail`` read
Swift, which the local store is not). The test runs the whole list and
reports every command that did not behave, so one run is the audit.
"""

import json
import os

import pytest

from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.e2e

OK, FAILS, PRINTS = 'ok', 'fails', 'prints'


def _json(text):
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.startswith(('[', '{'))), 0)
    return json.loads('\n'.join(lines[start:]))


def _commands(iid, project, version_id, module_file):
    """(who, command, expectation, check of the parsed JSON or None)."""
    names = lambda rows, key='name': {r.get(key) or r.get(  # noqa: E731
        key.capitalize()) for r in rows}
    return [
        # Guest logs (item 1), both CLIs.
        ('user', ['openstack', 'database', 'log', 'list', iid, '-f', 'json'],
         OK, lambda rows: {'general', 'slow_query'} <= names(rows)),
        ('user', ['openstack', 'database', 'log', 'set', iid, 'general',
                  '--enable', '-f', 'json'], OK,
         lambda log: log['status'] in ('Enabled', 'Ready')),
        ('user', ['openstack', 'database', 'log', 'show', iid, 'general',
                  '-f', 'json'], OK, lambda log: log['type'] == 'USER'),
        ('user', ['openstack', 'database', 'log', 'set', iid, 'general',
                  '--publish', '-f', 'json'], OK,
         lambda log: int(log['published']) > 0),
        ('user', ['openstack', 'database', 'log', 'save', iid, 'general'],
         FAILS, None),
        ('user', ['trove', '--json', 'log-list', iid], OK,
         lambda rows: 'error' not in names(rows)),
        ('user', ['trove', '--json', 'log-enable', iid, 'slow_query'], OK,
         lambda log: log['status'] in ('Enabled', 'Ready')),
        ('user', ['trove', '--json', 'log-show', iid, 'slow_query'], OK,
         lambda log: log['name'] == 'slow_query'),
        ('user', ['trove', '--json', 'log-publish', iid, 'slow_query'], OK,
         lambda log: log['status'] in ('Published', 'Partial')),
        ('user', ['trove', '--json', 'log-discard', iid, 'slow_query'], OK,
         lambda log: log['published'] == '0'),
        # python-troveclient's log-disable reads an option it never
        # defines (args.discard): it fails in the client, always.
        ('user', ['trove', 'log-disable', iid, 'slow_query'], FAILS, None),
        ('user', ['openstack', 'database', 'log', 'set', iid, 'slow_query',
                  '--disable', '-f', 'json'], OK,
         lambda log: log['status'] == 'Disabled'),
        # The legacy log commands print an error and exit 0.
        ('user', ['trove', 'log-publish', iid, 'error'], PRINTS,
         'Access to the publish of log error is forbidden'),
        ('admin', ['trove', '--json', 'log-list', iid], OK,
         lambda rows: 'error' in names(rows)),
        # Volume types and version flavors (item 5).
        ('user', ['trove', '--json', 'volume-type-list'], OK,
         lambda rows: 'local' in names(rows)),
        ('user', ['trove', '--json', 'volume-type-show', 'local'], OK,
         lambda vt: vt['name'] == 'local'),
        ('user', ['trove', '--json', 'volume-type-list', '--datastore_type',
                  'mariadb', '--datastore_version_id', version_id], OK,
         lambda rows: 'local' in names(rows)),
        ('user', ['trove', '--json', 'flavor-list', '--datastore_type',
                  'mariadb', '--datastore_version_id', version_id], OK,
         lambda rows: len(rows) >= 1),
        ('user', ['openstack', 'database', 'flavor', 'list',
                  '--datastore-type', 'mariadb', '--datastore-version-id',
                  version_id, '-f', 'json'], OK, lambda rows: len(rows) >= 1),
        ('user', ['openstack', 'datastore', 'delete', 'mariadb'], FAILS,
         None),
        ('admin', ['openstack', 'datastore', 'delete', 'mariadb'], FAILS,
         None),   # versions exist: 400
        # Modules (item 4), legacy CLI only.
        ('user', ['trove', '--json', 'module-create', 'audit-mod', 'ping',
                  module_file], OK, lambda m: m['type'] == 'ping'),
        ('user', ['trove', '--json', 'module-list'], OK,
         lambda rows: 'audit-mod' in names(rows)),
        ('user', ['trove', '--json', 'module-show', 'audit-mod'], OK,
         lambda m: m['name'] == 'audit-mod'),
        ('user', ['trove', 'module-apply', iid, 'audit-mod'], OK, None),
        ('user', ['trove', '--json', 'module-query', iid], OK,
         lambda rows: 'audit-mod' in names(rows)),
        ('user', ['trove', '--json', 'module-list-instance', iid], OK,
         lambda rows: 'audit-mod' in names(rows)),
        ('user', ['trove', 'module-instance-count', 'audit-mod'], OK, None),
        ('user', ['trove', 'module-reapply', 'audit-mod', '--force'], OK,
         None),
        ('user', ['trove', 'module-delete', 'audit-mod'], FAILS, None),
        ('user', ['trove', 'module-remove', iid, 'audit-mod'], OK, None),
        ('user', ['trove', 'module-delete', 'audit-mod'], OK, None),
        # Management (item 3) and admin with the legacy CLI (item 7).
        ('user', ['trove', 'quota-update', project, 'instances', '9'],
         FAILS, None),
        ('admin', ['trove', '--json', 'quota-update', project, 'instances',
                   '9'], OK, lambda q: q['instances'] == 9),
        ('user', ['trove', '--json', 'quota-show', project], OK,
         lambda rows: {r['resource']: r['limit']
                       for r in rows}['instances'] == 9),
        ('user', ['openstack', 'database', 'instance', 'reboot', iid],
         FAILS, None),
        ('admin', ['openstack', 'database', 'instance', 'reboot', iid], OK,
         None),
    ]


def test_cli_audit(trove_system, trove, project_id, cli_env, tmp_path):
    created = trove.instances.create('audit-db', flavor_id='1',
                                     volume={'size': 1}, datastore='mariadb')
    iid = created.id
    admin_env = dict(cli_env, OPENRC=os.path.join(trove_system.state_dir,
                                                  'openrc-admin'))
    module_file = tmp_path / 'module.txt'
    module_file.write_text('audit module\n')
    failures = []
    try:
        instance = e2e.wait_for_instance(trove, iid, system=trove_system)
        version_id = _version_id(trove, instance)
        for who, command, expect, check in _commands(
                iid, project_id, version_id, str(module_file)):
            result = run_cli(admin_env if who == 'admin' else cli_env,
                             *command)
            line = '%s: %s' % (who, ' '.join(command))
            if expect == OK and result.returncode != 0:
                failures.append('%s -> exit %d: %s' % (
                    line, result.returncode, result.stderr.strip()[-300:]))
            elif expect == FAILS and result.returncode == 0:
                failures.append('%s -> succeeded, expected a refusal' % line)
            elif expect == PRINTS and check not in result.stdout:
                failures.append('%s -> printed %r, not %r' % (
                    line, result.stdout[-300:], check))
            elif expect == OK and check is not None:
                try:
                    if not check(_json(result.stdout)):
                        failures.append('%s -> unexpected output %s'
                                        % (line, result.stdout[-300:]))
                except (ValueError, KeyError, TypeError) as error:
                    failures.append('%s -> output %r: %s' % (
                        line, result.stdout[-300:], error))
            if command[:4] == ['openstack', 'database', 'instance',
                               'reboot'] and expect == OK:
                e2e.wait_for_instance(trove, iid, system=trove_system)
        assert failures == [], '\n'.join(failures)
    finally:
        trove.instances.delete(iid)
        e2e.wait_for_deleted(trove, iid)


def _version_id(trove, instance):
    version = instance.datastore['version']
    return [v.id for v in trove.datastore_versions.list('mariadb')
            if v.name == version][0]
