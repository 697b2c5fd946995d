"""The config files trove-local writes into its state directory."""

import glob
import os
import shutil
import subprocess
import urllib.parse

TROVE_CONF = """\
# Written by trove-local; rewritten on every "trove-local up".
[DEFAULT]
state_path = {state_dir}
auth_strategy = {auth_strategy}
bind_host = {api_host}
bind_port = {api_port}
trove_api_workers = {api_workers}
transport_url = {transport_url}
control_exchange = trove
compute_provider = local
guest_config = {state_dir}/trove-guestagent.conf
report_interval = {report_interval}
agent_heartbeat_expiry = {heartbeat_expiry}
engine_probe_password = {probe_password}
log_dir = {state_dir}/logs
use_stderr = false
# This deployment's own key for the instances' message keys at rest.
inst_rpc_key_encr_key = {inst_rpc_key}
# Each instance gets a RabbitMQ user of its own (rabbitmqctl), allowed
# only its own queues and the conductor's (doc/faults-and-security.md).
guest_broker_users = {guest_broker_users}
# This deployment's certificate authority for TLS to instances
# (doc/tls.md), made on the first "up" and kept.
instance_tls_ca_cert = {tls_ca_cert}
instance_tls_ca_key = {tls_ca_key}

[database]
connection = {control_db}

[local]
instances_dir = {state_dir}/instances
volumes_dir = {state_dir}/volumes
address_pool = {address_pool}
"""

# With --keystone: how trove-api checks tokens (keystonemiddleware, no
# memcached: tokens are cached in each worker) and who the services are.
KEYSTONE_SECTIONS = """
[keystone_authtoken]
www_authenticate_uri = {auth_url}
auth_url = {auth_url}
auth_type = password
username = {username}
password = {password}
project_name = {project_name}
user_domain_id = {user_domain_id}
project_domain_id = {project_domain_id}
region_name = {region}

[service_credentials]
auth_url = {auth_url}
username = {username}
password = {password}
project_name = {project_name}
region_name = {region}
"""

GUEST_CONF = """\
# Copied into every instance as its trove-guestagent.conf.
[DEFAULT]
transport_url = {transport_url}
control_exchange = trove
report_interval = {report_interval}
use_stderr = true
engine_probe_password = {probe_password}
# A local engine starts in about a second: confirm it with a second
# answer a quarter of a second after the first (upstream: five answers 3 s
# apart, 12 s added to every start).
state_change_poll_time = 0.25
state_healthy_counts = 2
"""


# The project of trove-local's noauth administrator.
ADMIN_PROJECT = 'admin'


def kept_secret(path, nbytes):
    """The random secret stored at ``path`` (mode 0600), made at the first
    call."""
    import secrets
    try:
        with open(path) as stored:
            return stored.read().strip()
    except OSError:
        pass
    key = secrets.token_urlsafe(nbytes)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, 'w') as stored:
        stored.write(key)
    return key


class LocalConfig:
    """Paths and settings of one trove-local state directory."""

    def __init__(self, state_dir, api_port=8779, api_host='127.0.0.1',
                 control_db=None, transport_url=None, api_workers=2,
                 report_interval=10, heartbeat_expiry=60,
                 address_pool='127.10.0.0/16', extra_options=(),
                 identity=None, guest_options=(), taskmanagers=1,
                 conductors=1, extra_api_ports=()):
        self.state_dir = os.path.abspath(state_dir)
        self.api_port = api_port
        self.api_host = api_host
        self.control_db = control_db or 'sqlite:///%s' % os.path.join(
            self.state_dir, 'trove.sqlite')
        self.transport_url = (transport_url
                              or 'rabbit://guest:guest@127.0.0.1:5672/')
        self.api_workers = api_workers
        self.report_interval = report_interval
        self.heartbeat_expiry = heartbeat_expiry
        self.address_pool = address_pool
        self.extra_options = list(extra_options)
        # (group, name, value) appended to trove-guestagent.conf.
        self.guest_options = list(guest_options)
        # A trove.localenv.keystone.IdentityEnvironment, or None (noauth).
        self.identity = identity
        # Processes of each kind (trove.localenv.services).
        self.taskmanagers = taskmanagers
        self.conductors = conductors
        self.extra_api_ports = list(extra_api_ports)
        # What the trove.conf on disk says (set by from_state_dir).
        self.written_auth_strategy = None

    @property
    def auth_strategy(self):
        return 'keystone' if self.identity is not None else 'noauth'

    @classmethod
    def from_state_dir(cls, state_dir):
        """The settings of an existing state directory (from trove.conf)."""
        import configparser
        config = cls(state_dir)
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(config.trove_conf)
        defaults = parser.defaults()
        config.api_host = defaults.get('bind_host', config.api_host)
        config.api_port = int(defaults.get('bind_port', config.api_port))
        config.written_auth_strategy = defaults.get('auth_strategy')
        number = 2
        while True:
            path = os.path.join(state_dir, 'trove-api-%d.conf' % number)
            if not os.path.exists(path):
                break
            extra = configparser.ConfigParser(strict=False,
                                              interpolation=None)
            extra.read(path)
            config.extra_api_ports.append(int(extra.defaults()['bind_port']))
            number += 1
        return config

    @property
    def trove_conf(self):
        return os.path.join(self.state_dir, 'trove.conf')

    @property
    def guest_conf(self):
        return os.path.join(self.state_dir, 'trove-guestagent.conf')

    @property
    def run_dir(self):
        return os.path.join(self.state_dir, 'run')

    @property
    def log_dir(self):
        return os.path.join(self.state_dir, 'logs')

    @property
    def instances_dir(self):
        return os.path.join(self.state_dir, 'instances')

    @property
    def volumes_dir(self):
        return os.path.join(self.state_dir, 'volumes')

    @property
    def openrc(self):
        return os.path.join(self.state_dir, 'openrc')

    @property
    def keystone_dir(self):
        return os.path.join(self.state_dir, 'keystone')

    @property
    def api_url(self):
        return 'http://%s:%d' % (self.api_host, self.api_port)

    def write(self):
        for path in (self.state_dir, self.run_dir, self.log_dir,
                     self.instances_dir, self.volumes_dir):
            os.makedirs(path, exist_ok=True)
        # Engines run as unprivileged users and must reach their volumes.
        for path in (self.state_dir, self.instances_dir, self.volumes_dir):
            os.chmod(path, 0o755)
        self.ensure_tls_authority()
        values = dict(vars(self), auth_strategy=self.auth_strategy,
                      guest_broker_users=str(
                          self.guest_broker_users()).lower(),
                      inst_rpc_key=self._deployment_key(),
                      probe_password=self.probe_password(),
                      tls_ca_cert=self.tls_ca_cert,
                      tls_ca_key=self.tls_ca_key)
        # It holds the deployment key and the engine probe password (and
        # with Keystone the service user's password).
        mode = 0o600
        descriptor = os.open(self.trove_conf,
                             os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, 'w') as conf:
            conf.write(TROVE_CONF.format(**values))
            if self.identity is not None:
                conf.write(self._keystone_sections())
            conf.write(self._extra_sections())
        with open(self.guest_conf, 'w') as conf:
            conf.write(GUEST_CONF.format(**values))
            conf.write(self._sections(self.guest_options))
        for stale in glob.glob(os.path.join(self.state_dir,
                                            'trove-api-*.conf')):
            os.unlink(stale)
        for number, port in enumerate(self.extra_api_ports, start=2):
            # Read after trove.conf by trove-api-N: its own port.
            path = os.path.join(self.state_dir, 'trove-api-%d.conf' % number)
            with open(path, 'w') as conf:
                conf.write('# Written by trove-local: the port of trove-api-%d.'
                           '\n[DEFAULT]\nbind_port = %d\n' % (number, port))

    def guest_broker_users(self):
        """On when this machine's broker is the deployment's and
        rabbitmqctl may manage it (it manages the local node only)."""
        if getattr(self, '_broker_users', None) is not None:
            return self._broker_users
        netloc = urllib.parse.urlsplit(self.transport_url).netloc
        hosts = [host.rpartition('@')[2] for host in netloc.split(',')]
        # rabbitmqctl reaches the machine's default node only (AMQP on
        # 5672): a private node on another port has users of its own.
        usable = shutil.which('rabbitmqctl') and all(
            host in ('localhost', '127.0.0.1', '[::1]', 'localhost:5672',
                     '127.0.0.1:5672', '[::1]:5672') for host in hosts)
        if usable:
            try:
                usable = subprocess.run(
                    ['rabbitmqctl', '-q', 'list_users'],
                    capture_output=True, timeout=60).returncode == 0
            except (OSError, subprocess.SubprocessError):
                usable = False
        self._broker_users = bool(usable)
        return self._broker_users

    def _deployment_key(self):
        """Made on the first "up" and kept: instances made before a later
        "up" keep their keys readable."""
        return kept_secret(os.path.join(self.state_dir, 'inst_rpc_key'), 32)

    @property
    def tls_ca_cert(self):
        return os.path.join(self.state_dir, 'instance-ca.crt')

    @property
    def tls_ca_key(self):
        return os.path.join(self.state_dir, 'instance-ca.key')

    def ensure_tls_authority(self):
        """The deployment's certificate authority: made on the first
        "up" and kept (instances made earlier hold certificates it
        signed)."""
        from trove.common import certificates
        certificates.ensure_authority_files(
            self.tls_ca_cert, self.tls_ca_key,
            'Trove instances CA (%s)' % os.path.basename(self.state_dir))

    def probe_password(self):
        """The os_probe engine account's password: made once, kept in the
        state directory (engines made earlier hold it)."""
        return kept_secret(
            os.path.join(self.state_dir, 'engine-probe.password'), 18)

    def _keystone_sections(self):
        service = self.identity.service
        return KEYSTONE_SECTIONS.format(
            auth_url=self.identity.auth_url, region=self.identity.region,
            username=service.username, password=service.password,
            project_name=service.project_name,
            user_domain_id=service.user_domain_id,
            project_domain_id=service.project_domain_id)

    def _extra_sections(self):
        """Extra options as sections appended after the main ones; oslo.config
        merges repeated sections, later values winning."""
        return self._sections(self.extra_options)

    @staticmethod
    def _sections(options):
        text = ''
        for group, key, value in options:
            text += '\n[%s]\n%s = %s\n' % (group, key, value)
        return text

    def write_keystone_openrcs(self):
        """``openrc`` (alice, member of project alpha), ``openrc-bob``
        (beta) and ``openrc-admin``; returns {user: path}."""
        paths = {}
        users = dict(self.identity.users, admin=self.identity.admin)
        for name, credentials in sorted(users.items()):
            path = (self.openrc if name == 'alice'
                    else '%s-%s' % (self.openrc, name))
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                 0o600)
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, 'w') as openrc:
                openrc.write(KEYSTONE_OPENRC.format(
                    auth_url=self.identity.auth_url,
                    region=self.identity.region,
                    username=credentials.username,
                    password=credentials.password,
                    project_name=credentials.project_name))
            paths[name] = path
        return paths

    def write_openrc(self, project_id):
        return self._write_noauth_openrc(self.openrc, OPENRC, project_id)

    def _write_noauth_openrc(self, path, template, project_id):
        endpoint = '%s/v1.0/%s' % (self.api_url, project_id)
        with open(path, 'w') as openrc:
            openrc.write(template.format(endpoint=endpoint,
                                         api_url=self.api_url,
                                         project_id=project_id))
        return path

    @property
    def admin_openrc(self):
        return self.openrc + '-admin'

    def write_admin_openrc(self, project_id=ADMIN_PROJECT):
        """``openrc-admin``: both CLIs with the admin role under noauth
        (OSC sends a static token starting with "admin"; the legacy CLI
        authenticates as the user ``admin``, whose token does too)."""
        return self._write_noauth_openrc(self.admin_openrc, ADMIN_OPENRC,
                                         project_id)


ADMIN_OPENRC = """\
# Source this file (bash/zsh) to use the clients against trove-local as
# its administrator (quota-update, mgmt commands). noauth: development only.
#
# OpenStackClient: a static token; tokens starting with "admin" carry the
# admin role under noauth.
export OS_AUTH_TYPE=admin_token
export OS_TOKEN=admin-{project_id}
export OS_ENDPOINT={endpoint}
unset OS_PROJECT_ID OS_PROJECT_NAME OS_TENANT_ID OS_TENANT_NAME OS_USERNAME \\
      OS_PASSWORD OS_AUTH_URL

# The legacy trove CLI: the v1 auth at /auth/v1.0 gives the user "admin" an
# admin token.
trove() {{
    env -u OS_AUTH_TYPE -u OS_ENDPOINT -u OS_TOKEN PYTHONWARNINGS=ignore \\
        TROVE_BYPASS_URL={endpoint} \\
        OS_AUTH_URL={api_url}/auth/v1.0 \\
        OS_USERNAME=admin OS_PASSWORD=noauth \\
        OS_PROJECT_NAME={project_id} \\
        trove "$@"
}}
"""

OPENRC = """\
# Source this file (bash/zsh) to use the clients against trove-local.
# trove-local runs without Keystone (noauth): development only.
#
# OpenStackClient: no authentication, a fixed endpoint.
export OS_AUTH_TYPE=none
export OS_ENDPOINT={endpoint}
unset OS_PROJECT_ID OS_PROJECT_NAME OS_TENANT_ID OS_TENANT_NAME OS_USERNAME \\
      OS_PASSWORD OS_AUTH_URL OS_TOKEN

# The legacy trove CLI always authenticates and cannot use OS_AUTH_TYPE=none;
# trove-local answers its swift-style v1 auth at /auth/v1.0 and the bypass
# URL sends the requests to the endpoint above.
trove() {{
    env -u OS_AUTH_TYPE -u OS_ENDPOINT PYTHONWARNINGS=ignore \\
        TROVE_BYPASS_URL={endpoint} \\
        OS_AUTH_URL={api_url}/auth/v1.0 \\
        OS_USERNAME={project_id} OS_PASSWORD=noauth \\
        OS_PROJECT_NAME={project_id} \\
        trove "$@"
}}
"""

KEYSTONE_OPENRC = """\
# Source this file (bash/zsh) to use the clients against trove-local.
# Keystone password authentication: the clients find the database
# endpoint in the service catalog. Works for "openstack database ..."
# and the legacy "trove" CLI.
unset OS_ENDPOINT OS_TOKEN OS_PROJECT_ID OS_TENANT_ID OS_TENANT_NAME \\
      TROVE_BYPASS_URL
unset -f trove 2>/dev/null
export OS_AUTH_TYPE=password
export OS_AUTH_URL={auth_url}
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME={username}
export OS_PASSWORD={password}
export OS_PROJECT_NAME={project_name}
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME={region}
"""
