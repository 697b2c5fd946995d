"""A real Keystone on 127.0.0.1 for trove-local and the tests.

Keystone runs from a virtualenv of its own (it pins its own oslo versions)
under gunicorn, as a detached process with a pid file, with SQLite and
fernet keys under one state directory. ``bootstrap_trove`` then creates,
through the Keystone v3 REST API, what a Trove deployment expects to find:
the service project and user, two member projects with a user each, and
the catalog entries of the database service (and of any other service
the caller names).

This module never binds anything but 127.0.0.1 and never touches the
project's control database; it has no dependency on pytest.
"""

import dataclasses
import json
import os
import pwd
import secrets
import subprocess

from trove.common import daemon
from trove.localenv import external

PACKAGES = ('keystone==30.0.0', 'gunicorn==27.0.1')
REGION = 'RegionOne'
DOMAIN = 'default'
START_TIMEOUT = 60
MANAGE_TIMEOUT = 180

# keystone's oslo.config parses sys.argv, and gunicorn's arguments are not
# keystone's: the application is imported through this wrapper instead.
WSGI_WRAPPER = '''\
import sys
sys.argv = sys.argv[:1]
from keystone.wsgi.api import application  # noqa: E402,F401
'''

HttpError = external.HttpError


def default_venv_dir():
    return external.default_venv_dir('TROVE_KEYSTONE_VENV', 'keystone-venv')


def ensure_venv(venv_dir=None):
    """The Keystone virtualenv (keystone + gunicorn), installed once."""
    return external.ensure_venv(venv_dir or default_venv_dir(), PACKAGES)


@dataclasses.dataclass
class Credentials:
    username: str
    password: str
    project_name: str
    project_id: str = ''
    user_id: str = ''
    user_domain_id: str = DOMAIN
    project_domain_id: str = DOMAIN


@dataclasses.dataclass
class IdentityEnvironment:
    """What bootstrap_trove created: enough to configure Trove and clients."""
    auth_url: str
    region: str
    admin: Credentials
    service: Credentials
    users: dict  # user name -> Credentials (alice, bob)
    projects: dict  # project name -> id
    endpoints: dict = dataclasses.field(default_factory=dict)  # type -> url

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        for key in ('admin', 'service'):
            data[key] = Credentials(**data[key])
        data['users'] = {name: Credentials(**value)
                         for name, value in data['users'].items()}
        return cls(**data)


@dataclasses.dataclass
class Token:
    token: str
    project_id: str
    user_id: str
    roles: list
    catalog: list

    def endpoint(self, service_type, interface='public'):
        for service in self.catalog:
            if service.get('type') != service_type:
                continue
            for endpoint in service.get('endpoints', []):
                if endpoint.get('interface') == interface:
                    return endpoint['url']
        return None


def authenticate(auth_url, user, password, project,
                 user_domain_id=DOMAIN, project_domain_id=DOMAIN):
    """A project-scoped token by password; HttpError(401) when refused."""
    body = {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'password': password,
            'domain': {'id': user_domain_id}}}},
        'scope': {'project': {'name': project,
                              'domain': {'id': project_domain_id}}}}}
    _status, headers, reply = external.http_json(
        'POST', auth_url.rstrip('/') + '/auth/tokens', body)
    token = reply['token']
    return Token(token=headers['X-Subject-Token'],
                 project_id=token['project']['id'],
                 user_id=token['user']['id'],
                 roles=sorted(role['name'] for role in token.get('roles', [])),
                 catalog=token.get('catalog', []))


def get_token(auth_url, user, password, project):
    """(token, project_id) for ``user`` scoped to ``project``."""
    token = authenticate(auth_url, user, password, project)
    return token.token, token.project_id


class KeystoneServer:
    """One Keystone: its config, keys and SQLite DB live in ``state_dir``."""

    def __init__(self, state_dir, port, venv_dir=None, admin_password=None,
                 workers=2, install_venv=ensure_venv):
        self.state_dir = os.path.abspath(state_dir)
        self.port = int(port)
        self.venv_dir = os.path.abspath(venv_dir or default_venv_dir())
        self.workers = workers
        # Another venv holding keystone (the OpenStack stack's) comes
        # with an installer of its own.
        self._install_venv = install_venv
        self._passwords = self._load_passwords(admin_password)

    # -- paths and addresses -------------------------------------------
    @property
    def auth_url(self):
        return 'http://127.0.0.1:%d/v3' % self.port

    @property
    def conf_path(self):
        return os.path.join(self.state_dir, 'keystone.conf')

    @property
    def pid_path(self):
        return os.path.join(self.state_dir, 'keystone.pid')

    @property
    def log_path(self):
        return os.path.join(self.state_dir, 'keystone-server.log')

    @property
    def admin_password(self):
        return self._passwords['admin']

    def _path(self, *parts):
        return os.path.join(self.state_dir, *parts)

    def _bin(self, name):
        return os.path.join(self.venv_dir, 'bin', name)

    # -- secrets kept across restarts ------------------------------------
    def _load_passwords(self, admin_password):
        path = self._path('passwords.json')
        try:
            with open(path) as stored:
                passwords = json.load(stored)
        except (OSError, ValueError):
            passwords = {}
        if admin_password:
            passwords['admin'] = admin_password
        for name in ('admin', 'trove', 'alice', 'bob'):
            passwords.setdefault(name, secrets.token_urlsafe(12))
        self._passwords = passwords
        return passwords

    def _save_passwords(self):
        path = self._path('passwords.json')
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             0o600)
        with os.fdopen(descriptor, 'w') as stored:
            json.dump(self._passwords, stored)

    # -- setup -------------------------------------------------------------
    def render_config(self):
        return '\n'.join([
            '[DEFAULT]',
            'log_file = %s' % self._path('keystone.log'),
            'use_stderr = false',
            '[database]',
            'connection = sqlite:///%s' % self._path('keystone.db'),
            '[token]',
            'provider = fernet',
            '[fernet_tokens]',
            'key_repository = %s' % self._path('fernet-keys'),
            '[fernet_receipts]',
            'key_repository = %s' % self._path('fernet-keys'),
            '[credential]',
            'key_repository = %s' % self._path('credential-keys'),
            '[cache]',
            'enabled = false',
            # bcrypt's default cost makes every password token take ~0.3 s
            # of CPU; these users exist only on this loopback Keystone.
            '[identity]',
            'password_hash_rounds = 4',
            '[oslo_policy]',
            'enforce_scope = false',
            '',
        ])

    def _manage(self, *args):
        return [self._bin('keystone-manage'), '--config-file',
                self.conf_path] + list(args)

    def setup(self):
        """Install (once), configure, create the DB and keys, bootstrap.

        Idempotent: the DB and keys are created only once per state dir,
        and ``keystone-manage bootstrap`` reruns only when the port (and so
        the identity endpoint) changed.
        """
        self._install_venv(self.venv_dir)
        os.makedirs(self.state_dir, exist_ok=True)
        for name in ('fernet-keys', 'credential-keys'):
            os.makedirs(self._path(name), mode=0o700, exist_ok=True)
        with open(self.conf_path, 'w') as conf:
            conf.write(self.render_config())
        with open(self._path('keystone_wsgi.py'), 'w') as wrapper:
            wrapper.write(WSGI_WRAPPER)
        self._save_passwords()
        marker = self._path('setup-done')
        if not os.path.exists(marker):
            owner = pwd.getpwuid(os.getuid())
            group = owner.pw_name
            # The three are independent; running them together saves the
            # ~2 s each one spends importing keystone.
            self._run_parallel([
                self._manage('db_sync'),
                self._manage('fernet_setup', '--keystone-user',
                             owner.pw_name, '--keystone-group', group),
                self._manage('credential_setup', '--keystone-user',
                             owner.pw_name, '--keystone-group', group)])
            with open(marker, 'w') as done:
                done.write('ok\n')
        bootstrapped = self._path('bootstrapped-port')
        if external.read_text(bootstrapped) != str(self.port):
            url = self.auth_url + '/'
            external.run(self._manage(
                # One form: a generated password may begin with '-'.
                'bootstrap', '--bootstrap-password=' + self.admin_password,
                '--bootstrap-admin-url', url,
                '--bootstrap-internal-url', url,
                '--bootstrap-public-url', url,
                '--bootstrap-region-id', REGION), timeout=MANAGE_TIMEOUT)
            with open(bootstrapped, 'w') as done:
                done.write(str(self.port))

    def _run_parallel(self, commands):
        logs = [open(self._path('manage-%d.log' % index), 'w+')
                for index in range(len(commands))]
        try:
            children = [subprocess.Popen(command, stdout=log,
                                         stderr=subprocess.STDOUT)
                        for command, log in zip(commands, logs, strict=True)]
            failures = []
            for command, child, log in zip(commands, children, logs,
                                            strict=True):
                try:
                    code = child.wait(timeout=MANAGE_TIMEOUT)
                except subprocess.TimeoutExpired:
                    child.kill()
                    code = child.wait()
                if code != 0:
                    log.seek(0)
                    failures.append('%s (exit %s): %s' % (
                        ' '.join(command[3:5]), code, log.read()[-2000:]))
            if failures:
                raise external.ExternalServiceError(
                    'keystone-manage failed: ' + '\n'.join(failures))
        finally:
            for log in logs:
                log.close()

    # -- process -------------------------------------------------------------
    def is_running(self):
        return daemon.is_running(self.pid_path)

    def start(self, timeout=START_TIMEOUT):
        """Serve Keystone under gunicorn; returns once GET /v3 answers."""
        if not self.is_running():
            env = dict(os.environ, OS_KEYSTONE_CONFIG_DIR=self.state_dir)
            env.pop('PYTHONPATH', None)
            daemon.spawn([self._bin('gunicorn'), '--no-control-socket',
                          '--chdir', self.state_dir,
                          '--bind', '127.0.0.1:%d' % self.port,
                          '--workers', str(self.workers),
                          '--timeout', '120',
                          '--access-logfile', '-',
                          'keystone_wsgi:application'],
                         self.pid_path, self.log_path, env=env,
                         cwd=self.state_dir)
        try:
            external.wait_for_http(self.auth_url, self.pid_path,
                                   self.log_path, timeout=timeout)
        except external.ExternalServiceError:
            self.stop()
            raise
        return daemon.read_pid(self.pid_path)

    def stop(self):
        """Stop gunicorn (its master takes the workers down) by pid."""
        return external.stop_pid_file(self.pid_path)

    # -- admin API --------------------------------------------------------
    def admin_token(self):
        return get_token(self.auth_url, 'admin', self.admin_password,
                         'admin')[0]

    def bootstrap_trove(self, trove_url_template, other_services=(),
                        withdrawn_services=()):
        """Projects, users, roles and catalog entries Trove needs.

        ``other_services`` are more catalog entries, as (name, service
        type, URL template) triples; ``withdrawn_services`` (name, service
        type) pairs are removed from the catalog if there (a service that
        no longer runs must not be offered). Idempotent: existing entities are
        reused, passwords reset to the stored ones and endpoint URLs
        updated, so it may run on every ``trove-local up`` and again when
        a port changed.
        """
        admin = AdminClient(self.auth_url, self.admin_token())
        roles = {name: admin.ensure('roles', name)
                 for name in ('admin', 'service', 'member', 'reader')}
        projects = {name: admin.ensure('projects', name,
                                       {'domain_id': DOMAIN})
                    for name in ('admin', 'service', 'alpha', 'beta')}
        memberships = (('trove', 'service', ('admin', 'service')),
                       ('alice', 'alpha', ('member',)),
                       ('bob', 'beta', ('member',)))
        users = {}
        for user, project, user_roles in memberships:
            user_id = admin.ensure_user(user, self._passwords[user],
                                        projects[project])
            for role in user_roles:
                admin.assign(projects[project], user_id, roles[role])
            users[user] = Credentials(user, self._passwords[user], project,
                                      projects[project], user_id)
        self.register_endpoint('trove', 'database', trove_url_template,
                               admin=admin)
        endpoints = {'database': trove_url_template,
                     'identity': self.auth_url}
        for name, service_type, url_template in other_services:
            self.register_endpoint(name, service_type, url_template,
                                   admin=admin)
            endpoints[service_type] = url_template
        for name, service_type in withdrawn_services:
            admin.remove_service(name, service_type)
        identity = IdentityEnvironment(
            auth_url=self.auth_url, region=REGION,
            admin=Credentials('admin', self.admin_password, 'admin',
                              projects['admin'],
                              admin.find('users', 'admin')),
            service=users.pop('trove'), users=users, projects=projects,
            endpoints=endpoints)
        self._save_identity(identity)
        return identity

    def register_endpoint(self, name, service_type, url_template,
                          admin=None):
        """The service ``name`` of ``service_type`` with public, internal
        and admin endpoints at ``url_template`` in RegionOne."""
        admin = admin or AdminClient(self.auth_url, self.admin_token())
        service_id = admin.ensure_service(name, service_type)
        for interface in ('public', 'internal', 'admin'):
            admin.ensure_endpoint(service_id, interface, url_template)
        identity = self.load_identity()
        if identity is not None:
            identity.endpoints[service_type] = url_template
            self._save_identity(identity)
        return service_id

    def _save_identity(self, identity):
        path = self._path('identity.json')
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             0o600)
        with os.fdopen(descriptor, 'w') as stored:
            json.dump(dataclasses.asdict(identity), stored, indent=1)

    def load_identity(self):
        """The last bootstrap_trove result of this state dir, or None."""
        try:
            with open(self._path('identity.json')) as stored:
                return IdentityEnvironment.from_dict(json.load(stored))
        except (OSError, ValueError, TypeError, KeyError):
            return None


class AdminClient:
    """Find-or-create calls on the Keystone v3 API with an admin token.

    Each authenticated Keystone request costs ~0.2 s here (role lookups
    without a cache), so every collection is listed once and searched in
    memory rather than queried name by name.
    """

    def __init__(self, auth_url, token):
        self.auth_url = auth_url.rstrip('/')
        self.token = token
        self._listings = {}

    def call(self, method, path, body=None):
        return external.http_json(method, self.auth_url + path, body,
                                  token=self.token)[2]

    def _listing(self, collection):
        if collection not in self._listings:
            self._listings[collection] = self.call(
                'GET', '/' + collection)[collection]
        return self._listings[collection]

    def find(self, collection, name):
        for entity in self._listing(collection):
            if entity.get('name') == name and entity.get(
                    'domain_id', DOMAIN) in (DOMAIN, None):
                return entity['id']
        return None

    def _create(self, collection, attributes):
        member = collection[:-1]
        entity = self.call('POST', '/' + collection,
                           {member: attributes})[member]
        self._listing(collection).append(entity)
        return entity['id']

    def ensure(self, collection, name, attributes=None):
        return (self.find(collection, name) or
                self._create(collection, dict(attributes or {}, name=name)))

    def ensure_user(self, name, password, project_id):
        user_id = self.find('users', name)
        if user_id:
            # The stored password wins over whatever the DB holds.
            self.call('PATCH', '/users/' + user_id,
                      {'user': {'password': password}})
            return user_id
        return self._create('users', {
            'name': name, 'password': password, 'domain_id': DOMAIN,
            'default_project_id': project_id, 'enabled': True})

    def assign(self, project_id, user_id, role_id):
        self.call('PUT', '/projects/%s/users/%s/roles/%s'
                  % (project_id, user_id, role_id))

    def ensure_service(self, name, service_type):
        for service in self._listing('services'):
            if service['name'] == name and service['type'] == service_type:
                return service['id']
        return self._create('services', {'name': name, 'type': service_type,
                                         'enabled': True})

    def remove_service(self, name, service_type):
        """Delete a service (Keystone deletes its endpoints with it)."""
        for service in list(self._listing('services')):
            if service['name'] == name and service['type'] == service_type:
                self.call('DELETE', '/services/' + service['id'])
                self._listing('services').remove(service)

    def ensure_endpoint(self, service_id, interface, url):
        for endpoint in self._listing('endpoints'):
            if (endpoint['service_id'] == service_id and
                    endpoint['interface'] == interface and
                    endpoint.get('region_id') == REGION):
                if endpoint['url'] != url:
                    self.call('PATCH', '/endpoints/' + endpoint['id'],
                              {'endpoint': {'url': url}})
                    endpoint['url'] = url
                return endpoint['id']
        return self._create('endpoints', {
            'service_id': service_id, 'interface': interface, 'url': url,
            'region_id': REGION, 'enabled': True})
