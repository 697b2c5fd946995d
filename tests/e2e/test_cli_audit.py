"""Audit of every subcommand of the legacy ``trove`` CLI (python-troveclient
8.11.0, the 105 of clients-compat.md §1.1) against a real deployment.

Each command is run once, as a user types it, in a shell that sourced
trove-local's ``openrc`` (the project's member) or ``openrc-admin``, and
its outcome is checked: it works and its effect is seen (the row, login,
variable, backup or instance it shows or changes), or it fails the way
this deployment documents (routes upstream removed answer 404, Mistral and
Swift are not here, admin-only actions are refused to members). One
MariaDB instance, one replica, one backup, one configuration group and one
module serve every command. The commands whose effect needs more than
that (a Galera cluster, a replication switchover, the log life cycle) are
run by the e2e module named in ``ELSEWHERE``; ``test_every_command_is_
audited`` checks that the two together are the whole list. The outcomes
are the table of doc/compatibility.md "The legacy trove CLI, command by
command".
"""

import json
import os
import time

import pymysql
import pytest

from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli
from tests.helpers.processes import wait_until

pytestmark = pytest.mark.e2e

HERE = os.path.dirname(__file__)

LEGACY_COMMANDS = """
backup-create backup-delete backup-list backup-list-instance backup-show
cluster-create cluster-delete cluster-force-delete cluster-grow
cluster-instances cluster-list cluster-modules cluster-reset-status
cluster-show cluster-shrink cluster-upgrade configuration-attach
configuration-create configuration-default configuration-delete
configuration-detach configuration-instances configuration-list
configuration-parameter-list configuration-parameter-show
configuration-patch configuration-show configuration-update create
database-create database-delete database-list datastore-list datastore-show
datastore-version-list datastore-version-show delete detach-replica
eject-replica-source execution-delete execution-list flavor-list
flavor-show force-delete limit-list list log-disable log-discard log-enable
log-list log-publish log-save log-show log-tail metadata-create
metadata-delete metadata-edit metadata-list metadata-show metadata-update
module-apply module-create module-delete module-instance-count
module-instances module-list module-list-instance module-query
module-reapply module-remove module-retrieve module-show module-update
promote-to-replica-source quota-show quota-update reset-status
resize-instance resize-volume restart root-disable root-enable root-show
schedule-create schedule-delete schedule-list schedule-show
secgroup-add-rule secgroup-delete-rule secgroup-list secgroup-list-rules
secgroup-show show update upgrade user-create user-delete
user-grant-access user-list user-revoke-access user-show user-show-access
user-update-attributes volume-type-list volume-type-show
""".split()

# Commands run (with their effect checked) by another e2e module: the
# module and a string its source must hold.
ELSEWHERE = {
    'cluster-create': ('test_clusters.py', "'cluster', 'create'"),
    # The module deletes its cluster with cluster-force-delete, whose
    # second request is cluster-delete's DELETE /clusters/{id};
    # cluster-delete itself runs in its fixture's teardown only.
    'cluster-delete': ('test_clusters.py', "'cluster-delete'"),
    'cluster-force-delete': ('test_clusters.py', "'cluster-force-delete'"),
    'cluster-grow': ('test_clusters.py', "'cluster', 'grow'"),
    'cluster-instances': ('test_clusters.py', "'cluster-instances'"),
    'cluster-list': ('test_clusters.py', "'cluster-list'"),
    'cluster-modules': ('test_clusters.py', "'cluster-modules'"),
    'cluster-reset-status': ('test_clusters.py', "'cluster-reset-status'"),
    'cluster-show': ('test_clusters.py', "'cluster-show'"),
    'cluster-shrink': ('test_clusters.py', "'cluster-shrink'"),
    'cluster-upgrade': ('test_clusters.py', "'cluster',\n"
                                            "                'upgrade'"),
    'eject-replica-source': ('test_replication.py',
                             "'eject-replica-source'"),
    'promote-to-replica-source': ('test_replication.py',
                                  "'promote-to-replica-source'"),
    'log-disable': ('test_cli_audit_operations.py', "'log-disable'"),
    'log-discard': ('test_cli_audit_operations.py', "'log-discard'"),
    'log-enable': ('test_cli_audit_operations.py', "'log-enable'"),
    'log-list': ('test_cli_audit_operations.py', "'log-list'"),
    'log-publish': ('test_cli_audit_operations.py', "'log-publish'"),
    'log-show': ('test_cli_audit_operations.py', "'log-show'"),
    'module-instance-count': ('test_cli_audit_operations.py',
                              "'module-instance-count'"),
    'module-list': ('test_cli_audit_operations.py', "'module-list'"),
    'module-list-instance': ('test_cli_audit_operations.py',
                             "'module-list-instance'"),
    'module-query': ('test_cli_audit_operations.py', "'module-query'"),
    'module-reapply': ('test_cli_audit_operations.py', "'module-reapply'"),
    'module-show': ('test_cli_audit_operations.py', "'module-show'"),
    'quota-update': ('test_cli_audit_operations.py', "'quota-update'"),
}

PASSWORD = 'Audit-pass-1'
NOT_FOUND = 'HTTP 404'
FORBIDDEN = 'HTTP 403'


def test_every_command_is_audited():
    """The commands run here and those ELSEWHERE are the whole list."""
    assert len(LEGACY_COMMANDS) == len(set(LEGACY_COMMANDS)) == 105
    assert set(RUN_HERE) | set(ELSEWHERE) == set(LEGACY_COMMANDS)
    for command, (module, needle) in ELSEWHERE.items():
        with open(os.path.join(HERE, module)) as source:
            assert needle in source.read(), (command, module)


class Audit:
    """Runs the commands, collects what did not behave."""

    def __init__(self, user_env, admin_env):
        self.envs = {'user': user_env, 'admin': admin_env}
        self.failures = []
        self.ran = set()

    def run(self, who, command, *args):
        self.ran.add(command)
        json_flag = ['--json'] if command not in JSONLESS else []
        result = run_cli(self.envs[who], 'trove', *json_flag, command, *args)
        return result, '%s: trove %s %s' % (who, command, ' '.join(args))

    def ok(self, who, command, *args, check=None):
        """The command exits 0; ``check`` (of the parsed JSON, or of the
        raw output) must hold."""
        result, line = self.run(who, command, *args)
        if result.returncode != 0:
            self.failures.append('%s -> exit %d: %s' % (
                line, result.returncode, result.stderr.strip()[-300:]))
            return None
        try:
            value = _parse(result.stdout)
            if check is not None and not check(value):
                self.failures.append('%s -> unexpected %r' % (
                    line, result.stdout[-300:]))
            return value
        except Exception as error:   # a check that raised is a failure
            self.failures.append('%s -> %r: %s' % (
                line, result.stdout[-300:], error))
        return None

    def fails(self, who, command, *args, says):
        """The command is refused: non-zero exit and ``says`` in its
        output."""
        result, line = self.run(who, command, *args)
        output = result.stdout + result.stderr
        if result.returncode == 0:
            self.failures.append('%s -> succeeded, expected a refusal (%s)'
                                 % (line, says))
        elif says not in output:
            self.failures.append('%s -> refused without %r: %s' % (
                line, says, output.strip()[-300:]))

    def effect(self, what, condition):
        if not condition:
            self.failures.append('effect not seen: %s' % what)


# Commands whose --json output is absent or not JSON.
JSONLESS = {'configuration-default', 'log-save', 'log-tail',
            'module-retrieve'}


def _parse(text):
    """The JSON a command printed (after any line of text before it), or
    the text itself."""
    lines = text.strip().splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.startswith(('[', '{'))), None)
    if start is None:
        return text.strip() or None
    body, decoder, documents = '\n'.join(lines[start:]), json.JSONDecoder(), []
    position = 0
    try:
        while position < len(body):
            document, position = decoder.raw_decode(body, position)
            documents.append(document)
            while position < len(body) and body[position].isspace():
                position += 1
    except ValueError:
        return text
    # limit-list prints two documents: the absolute limits, the rates.
    return documents[0] if len(documents) == 1 else documents


def _names(rows, key='name'):
    return {row.get(key) for row in rows or []}


def _engine(address, user, password, statement):
    connection = pymysql.connect(host=address, user=user, password=password,
                                 connect_timeout=5, autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall()
    finally:
        connection.close()


def _logs_in(address, user, password):
    try:
        return _engine(address, user, password, 'SELECT 1') == ((1,),)
    except pymysql.err.OperationalError:
        return False


def _variable(address, name):
    return _engine(address, 'root', ROOT['password'],
                   'SELECT @@GLOBAL.%s' % name)[0][0]


ROOT = {'password': None}


RUN_HERE = [c for c in LEGACY_COMMANDS if c not in ELSEWHERE]


def test_legacy_cli_audit(trove_system, trove, project_id, cli_env,
                          tmp_path):
    started = time.monotonic()
    admin_env = dict(cli_env, OPENRC=os.path.join(trove_system.state_dir,
                                                  'openrc-admin'))
    audit = Audit(cli_env, admin_env)
    created = audit.ok('user', 'create', 'audit-main', '1', '--size', '1',
                       '--datastore', 'mariadb',
                       check=lambda i: i['name'] == 'audit-main')
    assert created, audit.failures
    iid = created['id']
    try:
        instance = e2e.wait_for_instance(trove, iid, system=trove_system)
        _catalogue(audit, instance, project_id)
        _databases_users_root(audit, trove, iid, instance.ip[0])
        _configuration(audit, trove, trove_system, iid, instance)
        _backups_and_replica(audit, trove, trove_system, iid)
        _modules(audit, trove, iid, tmp_path)
        _not_here(audit, iid)
        _instance_actions(audit, trove, trove_system, iid, instance)
    finally:
        if trove.instances.findall(id=iid):
            for replica in getattr(trove.instances.get(iid), 'replicas',
                                   []):
                trove.instances.delete(replica['id'])
                e2e.wait_for_deleted(trove, replica['id'], timeout=180)
            audit.ok('admin', 'force-delete', iid)
            e2e.wait_for_deleted(trove, iid, timeout=180)
    print('\n'.join(audit.failures))
    print('legacy CLI audit: %d commands in %.0f s'
          % (len(audit.ran), time.monotonic() - started))
    assert audit.failures == [], '\n'.join(audit.failures)
    assert audit.ran == set(RUN_HERE), set(RUN_HERE) ^ audit.ran


def _catalogue(audit, instance, project_id):
    iid, version = instance.id, instance.datastore['version']
    audit.ok('user', 'list', check=lambda rows: iid in _names(rows, 'id'))
    audit.ok('user', 'show', iid, check=lambda i: i['status'] == 'ACTIVE')
    audit.ok('user', 'datastore-list',
             check=lambda rows: 'mariadb' in _names(rows))
    audit.ok('user', 'datastore-show', 'mariadb',
             check=lambda ds: ds['name'] == 'mariadb')
    audit.ok('user', 'datastore-version-list', 'mariadb',
             check=lambda rows: version in _names(rows))
    audit.ok('user', 'datastore-version-show', version, '--datastore',
             'mariadb', check=lambda v: v['name'] == version)
    audit.ok('user', 'flavor-list', check=lambda rows: '1' in {
        str(r.get('str_id') or r.get('id')) for r in rows})
    audit.ok('user', 'flavor-show', '1', check=lambda f: f['ram'] > 0)
    audit.ok('user', 'limit-list', check=lambda documents: any(
        isinstance(rate, dict) and rate.get('verb') == 'POST'
        and rate['remaining'] <= rate['value']
        for document in documents if isinstance(document, list)
        for rate in document))
    audit.ok('user', 'quota-show', project_id,
             check=lambda rows: {r['resource']: r['in_use']
                                 for r in rows}['instances'] >= 1)
    audit.ok('user', 'volume-type-list',
             check=lambda rows: 'local' in _names(rows))
    audit.ok('user', 'volume-type-show', 'local',
             check=lambda vt: vt['name'] == 'local')


def _databases_users_root(audit, trove, iid, address):
    audit.ok('user', 'database-create', iid, 'auditdb')
    audit.ok('user', 'database-create', iid, 'otherdb')
    audit.ok('user', 'database-list', iid,
             check=lambda rows: {'auditdb', 'otherdb'} <= _names(rows))
    audit.ok('user', 'user-create', iid, 'auditor', PASSWORD, '--databases',
             'auditdb')
    audit.ok('user', 'user-list', iid,
             check=lambda rows: 'auditor' in _names(rows))
    audit.ok('user', 'user-show', iid, 'auditor',
             check=lambda u: u['name'] == 'auditor')
    audit.ok('user', 'user-grant-access', iid, 'auditor', 'otherdb')
    audit.ok('user', 'user-show-access', iid, 'auditor',
             check=lambda rows: {'auditdb', 'otherdb'} <= _names(rows))
    audit.ok('user', 'user-revoke-access', iid, 'auditor', 'otherdb')
    audit.effect('revoked access to otherdb', 'otherdb' not in {
        d.name for d in trove.users.list_access(iid, 'auditor')})
    audit.ok('user', 'user-update-attributes', iid, 'auditor',
             '--new_password', PASSWORD + 'x')
    audit.effect('auditor logs in with the new password', _engine(
        address, 'auditor', PASSWORD + 'x', 'SELECT 1') == ((1,),))
    audit.ok('user', 'user-delete', iid, 'auditor')
    audit.effect('auditor deleted', 'auditor' not in {
        u.name for u in trove.users.list(iid)})
    audit.ok('user', 'database-delete', iid, 'otherdb')
    audit.effect('otherdb dropped', 'otherdb' not in {
        d.name for d in trove.databases.list(iid)})
    root = audit.ok('user', 'root-enable', iid,
                    check=lambda r: r['name'] == 'root')
    ROOT['password'] = root and root['password']
    audit.effect('root logs in', root and _engine(
        address, 'root', root['password'], 'SELECT 1') == ((1,),))
    audit.ok('user', 'root-show', iid,
             check=lambda r: r['is_root_enabled'] is True)


def _configuration(audit, trove, system, iid, instance):
    version, address = instance.datastore['version'], instance.ip[0]
    audit.ok('user', 'configuration-parameter-list', version, '--datastore',
             'mariadb', check=lambda rows: 'max_connections' in _names(rows))
    audit.ok('user', 'configuration-parameter-show', version,
             'max_connections', '--datastore', 'mariadb',
             check=lambda p: p['name'] == 'max_connections')
    group = audit.ok('user', 'configuration-create', 'audit-group',
                     json.dumps({'max_connections': 77}), '--datastore',
                     'mariadb', '--datastore_version', version,
                     check=lambda g: g['name'] == 'audit-group')
    assert group, audit.failures
    gid = group['id']
    audit.ok('user', 'configuration-list',
             check=lambda rows: gid in _names(rows, 'id'))
    audit.ok('user', 'configuration-show', gid,
             check=lambda g: '77' in str(g['values']))
    audit.ok('user', 'configuration-attach', iid, gid)
    audit.effect('attached group sets max_connections 77',
                 _variable(address, 'max_connections') == 77)
    audit.ok('user', 'configuration-instances', gid,
             check=lambda rows: iid in _names(rows, 'id'))
    audit.ok('user', 'configuration-patch', gid,
             json.dumps({'max_connections': 88}))
    wait_until(lambda: _variable(address, 'max_connections') == 88,
               timeout=30, message='patch never reached the engine')
    audit.ok('user', 'configuration-update', gid,
             json.dumps({'max_connections': 99}))
    wait_until(lambda: _variable(address, 'max_connections') == 99,
               timeout=30, message='update never reached the engine')
    audit.ok('user', 'configuration-default', iid,
             check=lambda text: 'max_connections' in text)
    # python-troveclient 8.11's update calls Instances.edit, which it no
    # longer has: the client fails before any request (the rename itself
    # works through the library, Instances.update: PUT, in
    # test_instance_lifecycle.py).
    audit.fails('user', 'update', iid, '--name', 'audit-renamed',
                says="has no attribute 'edit'")
    audit.effect('name unchanged', trove.instances.get(iid).name ==
                 'audit-main')
    audit.ok('user', 'configuration-detach', iid)
    e2e.wait_for_instance(trove, iid, statuses=('ACTIVE', 'RESTART_REQUIRED'),
                          system=system)
    audit.effect('group detached', not getattr(
        trove.instances.get(iid), 'configuration', None))
    audit.ok('user', 'configuration-delete', gid)
    audit.effect('group deleted', gid not in {
        g.id for g in trove.configurations.list()})


def _backups_and_replica(audit, trove, system, iid):
    backup = audit.ok('user', 'backup-create', iid, 'audit-backup',
                      check=lambda b: b['status'] in ('NEW', 'BUILDING'))
    assert backup, audit.failures
    bid = backup['id']
    wait_until(lambda: trove.backups.get(bid).status == 'COMPLETED',
               timeout=180, interval=1, message='backup never completed')
    e2e.wait_for_instance(trove, iid, system=system)
    audit.ok('user', 'backup-list', check=lambda rows: bid in _names(
        rows, 'id'))
    audit.ok('user', 'backup-list-instance', iid,
             check=lambda rows: bid in _names(rows, 'id'))
    audit.ok('user', 'backup-show', bid,
             check=lambda b: b['status'] == 'COMPLETED' and b['size'] > 0)
    # A replica through the legacy client, then detached from its source.
    audit.ok('user', 'create', 'audit-replica', '1', '--replica_of', iid)
    replica = [r['id'] for r in trove.instances.get(iid).replicas][0]
    e2e.wait_for_instance(trove, replica, timeout=240, system=system)
    # python-troveclient 8.11's detach-replica calls Instances.edit,
    # which it no longer has: the client fails before any request
    # (PUT with replica_of works: test_replication.py).
    audit.fails('user', 'detach-replica', replica,
                says="has no attribute 'edit'")
    audit.effect('replica still attached', trove.instances.get(
        replica).replica_of['id'] == iid)
    audit.ok('user', 'delete', replica)
    e2e.wait_for_deleted(trove, replica, timeout=180)
    audit.ok('user', 'backup-delete', bid)
    from troveclient import exceptions

    def gone():
        try:
            trove.backups.get(bid)
        except exceptions.NotFound:
            return True
        return False
    wait_until(gone, timeout=60, message='backup never deleted')


def _modules(audit, trove, iid, tmp_path):
    contents = tmp_path / 'module.txt'
    contents.write_text('audit module\n')
    audit.ok('user', 'module-create', 'audit-module', 'ping', str(contents),
             check=lambda m: m['type'] == 'ping')
    audit.ok('user', 'module-update', 'audit-module', '--description',
             'checked by the audit',
             check=lambda m: m['description'] == 'checked by the audit')
    audit.ok('user', 'module-apply', iid, 'audit-module')
    audit.ok('user', 'module-instances', 'audit-module',
             check=lambda rows: iid in _names(rows, 'id'))
    retrieved = tmp_path / 'retrieved'
    retrieved.mkdir()
    audit.ok('user', 'module-retrieve', iid, '--directory', str(retrieved))
    files = [p.read_bytes() for p in retrieved.iterdir()]
    audit.effect('module contents retrieved',
                 any(b'audit module' in f for f in files))
    audit.ok('user', 'module-remove', iid, 'audit-module')
    audit.ok('user', 'module-delete', 'audit-module')
    audit.effect('module deleted', 'audit-module' not in {
        m.name for m in trove.modules.list()})


def _not_here(audit, iid):
    """Routes upstream removed (404) and other services (Swift, Mistral)."""
    audit.fails('user', 'log-save', iid, 'general', says='ERROR')
    audit.fails('user', 'log-tail', iid, 'general', says='ERROR')
    for command, args in (
            ('metadata-create', (iid, 'k', 'v')),
            ('metadata-list', (iid,)),
            ('metadata-show', (iid, 'k')),
            ('metadata-edit', (iid, 'k', 'v2')),
            ('metadata-update', (iid, 'k', 'k2', 'v3')),
            ('metadata-delete', (iid, 'k')),
            ('secgroup-list', ()),
            ('secgroup-show', ('sg-1',)),
            ('secgroup-list-rules', ('sg-1',)),
            ('secgroup-add-rule', ('sg-1', '10.0.0.0/8')),
            ('secgroup-delete-rule', ('rule-1',))):
        audit.fails('user', command, *args, says=NOT_FOUND)
    for command, args in (
            ('schedule-create', (iid, '0 3 * * *', 'nightly')),
            ('schedule-list', (iid,)),
            ('schedule-show', ('schedule-1',)),
            ('schedule-delete', ('schedule-1',)),
            ('execution-list', ('schedule-1',)),
            ('execution-delete', ('execution-1',))):
        audit.fails('user', command, *args, says='ERROR')


def _instance_actions(audit, trove, system, iid, instance):
    version = instance.datastore['version']
    audit.fails('user', 'upgrade', iid, version, says='already runs')
    audit.ok('user', 'restart', iid)
    e2e.wait_for_instance(trove, iid, system=system)
    audit.ok('user', 'resize-volume', iid, '2')
    e2e.wait_for_instance(trove, iid, system=system)
    audit.effect('volume resized to 2 GB',
                 trove.instances.get(iid).volume['size'] == 2)
    flavor = system.create_flavor('audit', 768)
    audit.ok('user', 'resize-instance', iid, flavor)
    e2e.wait_for_instance(trove, iid, timeout=240, system=system)
    audit.effect('flavor changed',
                 trove.instances.get(iid).flavor['id'] == flavor)
    audit.ok('user', 'root-disable', iid)
    audit.effect('root can no longer log in', not _logs_in(
        instance.ip[0], 'root', ROOT['password']))
    audit.fails('user', 'reset-status', iid, says=FORBIDDEN)
    audit.ok('admin', 'reset-status', iid)
    audit.effect('status reset leaves the instance ACTIVE',
                 trove.instances.get(iid).status == 'ACTIVE')
    audit.fails('user', 'force-delete', iid, says=FORBIDDEN)
    audit.ok('admin', 'force-delete', iid)
    e2e.wait_for_deleted(trove, iid, timeout=180)
