"""A real one-node Swift on 127.0.0.1 for trove-local and the tests.

Swift runs from a virtualenv of its own (with keystonemiddleware, for the
Keystone mode). ``SwiftServer`` lays out one state directory holding the
configs, the rings, one device dir and the pid files; ``swift_dir`` points
there, so nothing is read from or written to /etc/swift. memcached, the
account, container and object servers and the proxy each run detached
with a pid file and are stopped by pid.

Two auth modes: tempauth (users ``admin:admin`` and ``trove:backup``) or,
given the result of ``KeystoneServer.bootstrap_trove``, keystonemiddleware's
auth_token plus Swift's keystoneauth, so a project member's token works on
``AUTH_<project id>``. This module has no dependency on pytest.
"""

import concurrent.futures
import errno
import json
import os
import pwd
import secrets
import shutil
import socket
import textwrap

from trove.common import daemon
from trove.localenv import external

PACKAGES = ('swift==2.38.3', 'keystonemiddleware==13.0.1')
START_TIMEOUT = 30
STORAGE_KINDS = ('account', 'container', 'object')
DEVICE = 'sdb1'
RESELLER_PREFIX = 'AUTH_'

# Run by the Swift venv's python: building the three rings in one process
# takes well under a second, swift-ring-builder takes ~1 s per call.
RING_SCRIPT = '''\
import sys
from swift.common.ring import RingBuilder
swift_dir = sys.argv[1]
for spec in sys.argv[2:]:
    kind, port = spec.split(':')
    builder = RingBuilder(8, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1',
                     'port': int(port), 'device': %r, 'weight': 100,
                     'meta': ''})
    builder.rebalance()
    builder.save('%%s/%%s.builder' %% (swift_dir, kind))
    builder.get_ring().save('%%s/%%s.ring.gz' %% (swift_dir, kind))
''' % DEVICE

PROXY_PIPELINE = ('catch_errors gatekeeper healthcheck proxy-logging cache '
                  'listing_formats bulk tempurl %s copy slo dlo '
                  'versioned_writes symlink proxy-logging proxy-server')
SIMPLE_FILTERS = ('catch_errors', 'gatekeeper', 'healthcheck', 'bulk',
                  'tempurl', 'copy', 'slo', 'dlo', 'versioned_writes',
                  'symlink', 'listing_formats')


def default_venv_dir():
    return external.default_venv_dir('TROVE_SWIFT_VENV', 'swift-venv')


def ensure_venv(venv_dir=None):
    """The Swift virtualenv (swift + keystonemiddleware), installed once."""
    return external.ensure_venv(venv_dir or default_venv_dir(), PACKAGES)


def check_xattr_support(directory):
    """Swift keeps object metadata in user xattrs; fail early without."""
    probe = os.path.join(directory, '.xattr-probe')
    with open(probe, 'w'):
        pass
    try:
        os.setxattr(probe, 'user.trove.probe', b'x' * 512)
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
            raise external.ExternalServiceError(
                'the file system of %s has no user xattrs (%s); Swift '
                'needs them: put the state dir on ext4/xfs/tmpfs'
                % (directory, error)) from error
        raise
    finally:
        os.unlink(probe)


class SwiftServer:
    """One-node Swift whose every file lives under ``state_dir``."""

    def __init__(self, state_dir, proxy_port, keystone=None, venv_dir=None,
                 workers=1):
        self.state_dir = os.path.abspath(state_dir)
        self.proxy_port = int(proxy_port)
        self.keystone = keystone
        self.venv_dir = os.path.abspath(venv_dir or default_venv_dir())
        self.workers = workers
        self.settings = self._load_settings()

    # -- paths and addresses -------------------------------------------
    @property
    def swift_dir(self):
        return os.path.join(self.state_dir, 'etc')

    @property
    def devices_dir(self):
        return os.path.join(self.state_dir, 'node')

    @property
    def run_dir(self):
        return os.path.join(self.state_dir, 'run')

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.proxy_port

    @property
    def auth_url(self):
        """The tempauth (v1.0) auth URL; Keystone mode uses Keystone's."""
        return self.url + '/auth/v1.0'

    @property
    def auth_mode(self):
        return 'keystone' if self.keystone is not None else 'tempauth'

    @property
    def tempauth_users(self):
        """``account:user`` -> password of the tempauth users."""
        return {'admin:admin': self.settings['passwords']['admin'],
                'trove:backup': self.settings['passwords']['trove']}

    def storage_url(self, account):
        """The URL of the account of a project id (or tempauth account)."""
        return '%s/v1/%s%s' % (self.url, RESELLER_PREFIX, account)

    @property
    def url_template(self):
        """The object-store catalog URL for Keystone's service catalog."""
        return self.url + '/v1/%s$(tenant_id)s' % RESELLER_PREFIX

    def pid_path(self, name):
        return os.path.join(self.run_dir, name + '.pid')

    def log_path(self, name):
        return os.path.join(self.run_dir, name + '.log')

    def _bin(self, name):
        return os.path.join(self.venv_dir, 'bin', name)

    # -- ports and secrets kept across restarts --------------------------
    def _settings_path(self):
        return os.path.join(self.state_dir, 'settings.json')

    def _load_settings(self):
        try:
            with open(self._settings_path()) as stored:
                return json.load(stored)
        except (OSError, ValueError):
            pass
        # The storage ports are baked into the rings, so they are chosen
        # once per state dir.
        return {
            'ports': {name: external.free_loopback_port()
                      for name in STORAGE_KINDS + ('memcached',)},
            'passwords': {'admin': secrets.token_urlsafe(12),
                          'trove': secrets.token_urlsafe(12)},
            'hash_suffix': secrets.token_hex(16),
            'hash_prefix': secrets.token_hex(16)}

    def _save_settings(self):
        descriptor = os.open(self._settings_path(),
                             os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w') as stored:
            json.dump(self.settings, stored, indent=1)

    # -- configuration -----------------------------------------------------
    def _common_defaults(self, port):
        return textwrap.dedent('''\
            [DEFAULT]
            bind_ip = 127.0.0.1
            bind_port = %d
            workers = %d
            user = %s
            swift_dir = %s
            devices = %s
            mount_check = false
            log_level = INFO
            ''') % (port, self.workers, pwd.getpwuid(os.getuid()).pw_name,
                    self.swift_dir, self.devices_dir)

    def render_storage_config(self, kind):
        return self._common_defaults(self.settings['ports'][kind]) + \
            textwrap.dedent('''
            [pipeline:main]
            pipeline = {kind}-server

            [app:{kind}-server]
            use = egg:swift#{kind}

            [{kind}-replicator]

            [{kind}-auditor]

            [{kind}-updater]
            ''').format(kind=kind)

    def render_swift_config(self):
        return textwrap.dedent('''\
            [swift-hash]
            swift_hash_path_suffix = %s
            swift_hash_path_prefix = %s

            [storage-policy:0]
            name = Policy-0
            default = yes
            ''') % (self.settings['hash_suffix'], self.settings['hash_prefix'])

    def _auth_sections(self):
        if self.keystone is None:
            passwords = self.settings['passwords']
            return 'tempauth', textwrap.dedent('''
                [filter:tempauth]
                use = egg:swift#tempauth
                reseller_prefix = AUTH
                user_admin_admin = %s .admin .reseller_admin
                user_trove_backup = %s .admin
                ''') % (passwords['admin'], passwords['trove'])
        service = self.keystone.service
        return 'authtoken keystoneauth', textwrap.dedent('''
            [filter:authtoken]
            paste.filter_factory = keystonemiddleware.auth_token:filter_factory
            www_authenticate_uri = {auth_url}
            auth_url = {auth_url}
            auth_type = password
            username = {service.username}
            password = {service.password}
            project_name = {service.project_name}
            user_domain_id = {service.user_domain_id}
            project_domain_id = {service.project_domain_id}
            region_name = {region}
            delay_auth_decision = true
            include_service_catalog = false
            cache = swift.cache

            [filter:keystoneauth]
            use = egg:swift#keystoneauth
            reseller_prefix = AUTH
            operator_roles = admin, member
            reseller_admin_role = ResellerAdmin
            ''').format(auth_url=self.keystone.auth_url, service=service,
                        region=self.keystone.region)

    def render_proxy_config(self):
        auth_filters, auth_sections = self._auth_sections()
        sections = [self._common_defaults(self.proxy_port),
                    '[pipeline:main]',
                    'pipeline = ' + PROXY_PIPELINE % auth_filters, '',
                    '[app:proxy-server]', 'use = egg:swift#proxy',
                    'allow_account_management = true',
                    'account_autocreate = true', '',
                    '[filter:proxy-logging]', 'use = egg:swift#proxy_logging',
                    '',
                    '[filter:cache]', 'use = egg:swift#memcache',
                    'memcache_servers = 127.0.0.1:%d'
                    % self.settings['ports']['memcached'], '']
        for name in SIMPLE_FILTERS:
            sections += ['[filter:%s]' % name, 'use = egg:swift#%s' % name,
                         '']
        return '\n'.join(sections) + auth_sections

    def _conf_path(self, name):
        return os.path.join(self.swift_dir, name + '.conf')

    def setup(self):
        """Install (once), write configs, build rings, create the device.

        Idempotent: the rings are built once per state dir (their ports
        are fixed then); configs are rewritten every time, so switching
        between tempauth and Keystone needs only setup() and a restart.
        """
        ensure_venv(self.venv_dir)
        for path in (self.swift_dir, self.run_dir,
                     os.path.join(self.devices_dir, DEVICE)):
            os.makedirs(path, exist_ok=True)
        check_xattr_support(os.path.join(self.devices_dir, DEVICE))
        self._save_settings()
        files = {'swift': self.render_swift_config(),
                 'proxy-server': self.render_proxy_config()}
        for kind in STORAGE_KINDS:
            files[kind + '-server'] = self.render_storage_config(kind)
        for name, content in files.items():
            with open(self._conf_path(name), 'w') as conf:
                conf.write(content)
        if not all(os.path.exists(os.path.join(self.swift_dir,
                                               kind + '.ring.gz'))
                   for kind in STORAGE_KINDS):
            external.run([self._bin('python'), '-c', RING_SCRIPT,
                          self.swift_dir] +
                         ['%s:%d' % (kind, self.settings['ports'][kind])
                          for kind in STORAGE_KINDS], timeout=120)

    # -- processes -----------------------------------------------------------
    def _process_names(self):
        return ('memcached',) + tuple(kind + '-server'
                                      for kind in STORAGE_KINDS) + ('proxy',)

    def _command(self, name):
        if name == 'memcached':
            memcached = shutil.which('memcached') or '/usr/bin/memcached'
            if not os.path.exists(memcached):
                raise external.ExternalServiceError(
                    'memcached is not installed (tools/bootstrap.sh '
                    'installs it)')
            command = [memcached, '-l', '127.0.0.1', '-p',
                       str(self.settings['ports']['memcached']), '-U', '0',
                       '-m', '64']
            # memcached refuses to run as root unless told which user.
            return command + (['-u', 'root'] if os.geteuid() == 0 else [])
        conf = 'proxy-server' if name == 'proxy' else name
        # --verbose: log to stdout (the log file), as there is no syslog.
        return [self._bin('swift-%s' % conf), self._conf_path(conf),
                '--verbose']

    def _wait_url(self, name):
        if name == 'proxy':
            return self.url + '/info'
        if name == 'memcached':
            return None
        return 'http://127.0.0.1:%d/' % self.settings['ports'][
            name[:-len('-server')]]

    def is_running(self):
        return all(daemon.is_running(self.pid_path(name))
                   for name in self._process_names())

    def start(self, timeout=START_TIMEOUT):
        """Start what is not running; returns once every server answers."""
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        try:
            for name in self._process_names():
                if not daemon.is_running(self.pid_path(name)):
                    daemon.spawn(self._command(name), self.pid_path(name),
                                 self.log_path(name), env=env,
                                 cwd=self.state_dir)
            self._wait_for_memcached(timeout)
            for name in self._process_names()[1:]:
                external.wait_for_http(self._wait_url(name),
                                       self.pid_path(name),
                                       self.log_path(name), timeout=timeout)
        except Exception:
            self.stop()
            raise

    def _wait_for_memcached(self, timeout):
        port = self.settings['ports']['memcached']

        def answers():
            try:
                with socket.create_connection(('127.0.0.1', port), 1):
                    return True
            except OSError:
                return False
        external.wait_until(answers, timeout, 'memcached on port %d' % port,
                            self.pid_path('memcached'),
                            self.log_path('memcached'))

    def stop(self):
        """Stop every process by its pid file; True when all are gone."""
        # Each server takes ~0.5 s to exit after SIGTERM; in parallel the
        # whole cluster stops in about that time.
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            results = pool.map(external.stop_pid_file,
                               [self.pid_path(name)
                                for name in self._process_names()])
            return all(list(results))
