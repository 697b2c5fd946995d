"""The devstack plugin (devstack/settings and devstack/plugin.sh), phase by
phase, without devstack.

Each phase runs in a bash that sources ``stubs.sh`` (recording stand-ins
for the devstack functions), ``settings`` and ``plugin.sh <phase>`` the
way devstack does, with every path pointing into a sandbox directory. The
tests check the recorded calls and the files the plugin wrote: trove.conf
and trove-guestagent.conf are parsed with oslo.config against this
project's option registry (every option written must exist and parse).
"""

import argparse
import configparser
import os
import pathlib
import shutil
import subprocess

import pytest
import yaml
from keystoneauth1 import loading as ks_loading
from keystonemiddleware import opts as authtoken_opts
from oslo_config import cfg

from trove.cmd import manage
from trove.conf import opts as trove_opts

REPO = pathlib.Path(__file__).resolve().parents[3]
DEVSTACK = REPO / 'devstack'
STUBS = pathlib.Path(__file__).with_name('stubs.sh')
PANELS = ['_1710_database_panel_group.py', '_1720_project_databases_panel.py',
          '_1730_project_database_backups_panel.py',
          '_1731_project_database_backups_panel.py',
          '_1732_project_backup_strategies_panel.py',
          '_1740_project_database_clusters_panel.py',
          '_1760_project_database_configurations_panel.py']
TRANSPORT_URL = 'rabbit://stackrabbit:rabbit-secret@10.0.0.5:5672/'
DATABASE_URL = 'mysql+pymysql://root:db-secret@127.0.0.1'


class Sandbox:
    """Directories and environment of one devstack run."""

    def __init__(self, root, services='key,mysql,rabbit'):
        self.root = root
        self.log = root / 'calls.log'
        self.conf_dir = root / 'etc' / 'trove'
        self.horizon_dir = root / 'horizon'
        self.dashboard_dir = root / 'trove-dashboard'
        (self.horizon_dir / 'openstack_dashboard' / 'local' /
         'enabled').mkdir(parents=True)
        enabled = self.dashboard_dir / 'trove_dashboard' / 'enabled'
        enabled.mkdir(parents=True)
        for panel in PANELS:
            (enabled / panel).write_text('PANEL = %r\n' % panel)
        (enabled / '__init__.py').write_text('')
        self.env = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': str(root),
            'DEVSTACK_CALL_LOG': str(self.log),
            'DEVSTACK_TEST_BIN_DIR': str(root / 'bin'),
            'DEVSTACK_TEST_TRANSPORT_URL': TRANSPORT_URL,
            'DEVSTACK_TEST_DATABASE_URL': DATABASE_URL,
            'ENABLED_SERVICES': services,
            'LIBS_FROM_GIT': '',
            # What devstack's stackrc and lib/* define before plugins run.
            'DEST': str(root / 'opt'), 'DATA_DIR': str(root / 'data'),
            'GIT_BASE': 'https://opendev.org', 'STACK_USER': _user(),
            'SERVICE_HOST': '10.0.0.5', 'SERVICE_PROTOCOL': 'http',
            'SERVICE_LISTEN_ADDRESS': '0.0.0.0',
            'KEYSTONE_SERVICE_URI': 'http://10.0.0.5/identity',
            'SERVICE_PASSWORD': 'service-secret',
            'SERVICE_PROJECT_NAME': 'service',
            'SERVICE_DOMAIN_NAME': 'Default', 'REGION_NAME': 'RegionOne',
            'RABBIT_USERID': 'stackrabbit', 'RABBIT_PASSWORD': 'rabbit-secret',
            'ENABLE_DEBUG_LOG_LEVEL': 'True', 'SERVICE_TIMEOUT': '60',
            'HORIZON_DIR': str(self.horizon_dir),
            # Paths devstack would leave at their /etc, /opt defaults.
            'TROVE_DIR': str(REPO), 'TROVE_CONF_DIR': str(self.conf_dir),
            'TROVE_DASHBOARD_DIR': str(self.dashboard_dir),
        }

    def run(self, *phase, stubs=STUBS):
        """Source the stubs, settings and (given a phase) plugin.sh with
        ``phase`` under errexit, as stack.sh does; the calls recorded."""
        self.log.unlink(missing_ok=True)
        script = 'set -o errexit; source "$1"; source "$2"'
        if phase:
            script += '; shift 2; source "$PLUGIN" "$@"'
        result = subprocess.run(
            ['bash', '-c', script, 'bash', str(stubs),
             str(DEVSTACK / 'settings')] + list(phase),
            env=dict(self.env, PLUGIN=str(DEVSTACK / 'plugin.sh')),
            capture_output=True, text=True, timeout=60, cwd=self.root)
        assert result.returncode == 0, result.stderr
        if not self.log.exists():
            return []
        return [line.split('\x1f')
                for line in self.log.read_text().splitlines()]

    @property
    def trove_conf(self):
        return self.conf_dir / 'trove.conf'

    @property
    def guest_conf(self):
        return self.conf_dir / 'trove-guestagent.conf'


def _user():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def _named(calls, name):
    return [call[1:] for call in calls if call[0] == name]


@pytest.fixture
def sandbox(tmp_path):
    yield Sandbox(tmp_path)
    shutil.rmtree(tmp_path, ignore_errors=True)


def _registry(authtoken=False):
    """This project's options; with ``authtoken``, also what
    keystonemiddleware reads from [keystone_authtoken] with auth_type =
    password (the API's config, not the guest agent's)."""
    conf = cfg.ConfigOpts()
    trove_opts.register_all(conf)
    if authtoken:
        for group, options in authtoken_opts.list_auth_token_opts():
            conf.register_opts(options, group=group)
        conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='keystone_authtoken')
    return conf


def _written(path):
    """(section, option, raw value) of every line of an INI file."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    parser.read(path)
    written = [('DEFAULT', name, value)
               for name, value in parser.defaults().items()]
    for section in parser.sections():
        written += [(section, name, value) for name, value
                    in parser.items(section) if name not in parser.defaults()]
    return written


def _parse_with_registry(path, textual=(), authtoken=False):
    """Load ``path`` with oslo.config; assert that every option it sets
    exists and that its value parses (options in ``textual`` are checked
    by the caller as text). Returns {(section, option): raw value}."""
    conf = _registry(authtoken)
    conf(['--config-file', str(path)], project='trove')
    written = _written(path)
    for section, name, _value in written:
        group = conf if section == 'DEFAULT' else conf[section]
        assert name in group, '[%s] %s is not an option of the project' % (
            section, name)
        if (section, name) not in textual:
            getattr(group, name)        # raises when the value is invalid
    return {(section, name): value for section, name, value in written}


def test_settings_enable_the_three_processes(sandbox):
    calls = sandbox.run()
    assert _named(calls, 'enable_service') == [
        ['trove', 'tr-api', 'tr-tmgr', 'tr-cond']]


def test_nothing_happens_when_trove_is_disabled(sandbox):
    # A local.conf "disable_service trove" undoes what settings enabled.
    stubs = sandbox.root / 'stubs-trove-disabled.sh'
    stubs.write_text(STUBS.read_text() + '\nfunction enable_service { :; }\n')
    for phase in (('stack', 'install'), ('stack', 'post-config'),
                  ('stack', 'extra'), ('unstack',), ('clean',)):
        assert sandbox.run(*phase, stubs=stubs) == [], phase
    assert not sandbox.conf_dir.exists()


def test_stack_install_installs_the_project_and_the_client(sandbox):
    calls = sandbox.run('stack', 'install')
    assert _named(calls, 'setup_develop') == [[str(REPO)]]
    assert _named(calls, 'pip_install') == [['python-troveclient']]
    assert _named(calls, 'git_clone') == []
    enabled = sandbox.horizon_dir / 'openstack_dashboard' / 'local' / \
        'enabled'
    assert list(enabled.iterdir()) == []


def test_stack_install_with_horizon_enables_every_dashboard_panel(sandbox):
    sandbox.env['ENABLED_SERVICES'] += ',horizon'
    sandbox.env['LIBS_FROM_GIT'] = 'python-troveclient'
    calls = sandbox.run('stack', 'install')
    assert [call[1] for call in _named(calls, 'git_clone')] == [
        sandbox.env['DEST'] + '/python-troveclient',
        str(sandbox.dashboard_dir)]
    assert _named(calls, 'setup_develop') == [
        [str(REPO)], [sandbox.env['DEST'] + '/python-troveclient'],
        [str(sandbox.dashboard_dir)]]
    enabled = sandbox.horizon_dir / 'openstack_dashboard' / 'local' / \
        'enabled'
    # Upstream's glob leaves out the backup strategies panel; not here.
    assert sorted(p.name for p in enabled.iterdir()) == PANELS


def test_post_config_creates_the_service_user_service_and_endpoints(
        sandbox):
    calls = sandbox.run('stack', 'post-config')
    assert _named(calls, 'create_service_user') == [['trove', 'admin']]
    assert _named(calls, 'get_or_add_user_project_role') == [
        ['service', 'trove', 'service']]
    assert _named(calls, 'get_or_create_service') == [
        ['trove', 'database', 'Trove Database as a Service']]
    url = 'http://10.0.0.5:8779/v1.0/$(project_id)s'
    assert _named(calls, 'get_or_create_endpoint') == [
        ['service-id-of-trove', 'RegionOne', url, url, url]]


def test_post_config_writes_a_trove_conf_of_existing_options(sandbox):
    sandbox.run('stack', 'post-config')
    values = _parse_with_registry(
        sandbox.trove_conf, textual={('DEFAULT', 'compute_provider')},
        authtoken=True)
    # The openstack provider is what a devstack deployment runs.
    assert values[('DEFAULT', 'compute_provider')] == 'openstack'
    assert values[('DEFAULT', 'auth_strategy')] == 'keystone'
    assert values[('DEFAULT', 'transport_url')] == TRANSPORT_URL
    assert values[('DEFAULT', 'control_exchange')] == 'trove'
    assert values[('DEFAULT', 'bind_port')] == '8779'
    assert values[('DEFAULT', 'guest_config')] == str(sandbox.guest_conf)
    assert values[('database', 'connection')] == \
        DATABASE_URL + '/trove?charset=utf8'
    for section in ('keystone_authtoken', 'service_credentials'):
        assert values[(section, 'username')] == 'trove'
        assert values[(section, 'password')] == 'service-secret'
        assert values[(section, 'project_name')] == 'service'
    assert values[('keystone_authtoken', 'auth_type')] == 'password'
    assert values[('keystone_authtoken', 'www_authenticate_uri')] == \
        'http://10.0.0.5/identity'
    assert values[('service_credentials', 'auth_url')] == \
        'http://10.0.0.5/identity/v3'
    paste = sandbox.conf_dir / 'api-paste.ini'
    assert values[('DEFAULT', 'api_paste_config')] == str(paste)
    assert paste.read_text() == (REPO / 'etc/trove/api-paste.ini').read_text()


def test_post_config_writes_the_guest_agent_config(sandbox):
    sandbox.run('stack', 'post-config')
    values = _parse_with_registry(sandbox.guest_conf)
    assert values[('DEFAULT', 'transport_url')] == \
        'rabbit://stackrabbit:rabbit-secret@10.0.0.5:5672/'
    assert values[('DEFAULT', 'control_exchange')] == 'trove'
    assert values[('DEFAULT', 'state_change_wait_time')] == '600'
    # The guest agent never holds control-plane credentials.
    sections = {section for section, _name in values}
    assert not sections & {'database', 'keystone_authtoken',
                           'service_credentials'}
    assert 'service-secret' not in sandbox.guest_conf.read_text()


def test_post_config_writes_a_cloudinit_file_per_datastore(sandbox):
    sandbox.env['TROVE_CONTROLLER_ADDRESS'] = '192.168.254.1'
    sandbox.run('stack', 'post-config')
    cloudinit = sandbox.conf_dir / 'cloudinit'
    assert sorted(p.name for p in cloudinit.iterdir()) == [
        'mariadb.cloudinit', 'mysql.cloudinit', 'postgresql.cloudinit']
    text = (cloudinit / 'mariadb.cloudinit').read_text()
    assert text.startswith('#cloud-config\n')
    document = yaml.safe_load(text)
    assert document['manage_etc_hosts'] is True
    [controller] = document['write_files']
    assert controller['path'] == '/etc/trove/controller.conf'
    assert 'CONTROLLER=192.168.254.1\n' in controller['content']


def _manage_parser():
    """trove-manage's own command line parser."""
    parser = argparse.ArgumentParser(prog='trove-manage')
    manage._add_parsers(parser.add_subparsers(dest='action', required=True))
    return parser


def test_stack_extra_migrates_registers_datastores_and_starts(sandbox):
    bin_dir = pathlib.Path(sandbox.env['DEVSTACK_TEST_BIN_DIR'])
    bin_dir.mkdir()
    # trove-manage records its arguments instead of touching a database.
    recorder = bin_dir / 'trove-manage'
    recorder.write_text('#!/usr/bin/env bash\nsource "%s"\n'
                        '_record trove-manage "$@"\n' % STUBS)
    recorder.chmod(0o755)
    calls = sandbox.run('stack', 'extra')

    assert _named(calls, 'recreate_database') == [['trove']]
    conf_flag = '--config-file=%s' % sandbox.trove_conf
    manage_calls = _named(calls, 'trove-manage')
    assert all(call[0] == conf_flag for call in manage_calls)
    commands = [call[1:] for call in manage_calls]
    assert commands[0] == ['db_sync']
    parser = _manage_parser()
    for command in commands:
        parser.parse_args(command)      # exits on an unknown argument
    assert ['datastore_version_update', 'mariadb', '11.4', 'mariadb', '', '',
            '1', '--image-tags', 'trove'] in commands
    assert ['datastore_update', 'postgresql', '18'] in commands
    loaded = [c[1:3] for c in commands
              if c[0] == 'db_load_datastore_config_parameters']
    # Only datastores whose templates define validation rules.
    assert loaded == [[ds, version] for ds, version in
                      (('mysql', '8.4'), ('mariadb', '11.4'),
                       ('postgresql', '18'))
                      if (REPO / 'trove/templates' / ds /
                          'validation-rules.json').exists()]
    assert loaded
    assert _named(calls, 'run_process') == [
        [name, '%s/%s %s' % (bin_dir, script, conf_flag)]
        for name, script in (('tr-api', 'trove-api'),
                             ('tr-tmgr', 'trove-taskmanager'),
                             ('tr-cond', 'trove-conductor'))]
    assert _named(calls, 'wait_for_service') == [['60',
                                                  'http://10.0.0.5:8779']]


def test_unstack_stops_the_processes(sandbox):
    calls = sandbox.run('unstack')
    assert _named(calls, 'stop_process') == [['tr-api'], ['tr-tmgr'],
                                            ['tr-cond']]
    assert _named(calls, 'run_process') == []


def test_clean_removes_configuration_and_state(sandbox):
    sandbox.run('stack', 'post-config')
    assert sandbox.trove_conf.exists()
    sandbox.run('clean')
    assert not sandbox.conf_dir.exists()
    assert not (pathlib.Path(sandbox.env['DATA_DIR']) / 'trove').exists()
