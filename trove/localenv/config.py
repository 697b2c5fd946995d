"""The config files trove-local writes into its state directory."""

import os

TROVE_CONF = """\
# Written by trove-local; rewritten on every "trove-local up".
[DEFAULT]
state_path = {state_dir}
auth_strategy = noauth
bind_host = {api_host}
bind_port = {api_port}
trove_api_workers = {api_workers}
transport_url = {transport_url}
control_exchange = trove
compute_provider = local
guest_config = {state_dir}/trove-guestagent.conf
report_interval = {report_interval}
agent_heartbeat_expiry = {heartbeat_expiry}
log_dir = {state_dir}/logs
use_stderr = false

[database]
connection = {control_db}

[local]
instances_dir = {state_dir}/instances
address_pool = {address_pool}
"""

GUEST_CONF = """\
# Copied into every instance as its trove-guestagent.conf.
[DEFAULT]
transport_url = {transport_url}
control_exchange = trove
report_interval = {report_interval}
use_stderr = true
# A local engine starts in about a second; check it often.
state_change_poll_time = 1
state_healthy_counts = 2
"""


class LocalConfig:
    """Paths and settings of one trove-local state directory."""

    def __init__(self, state_dir, api_port=8779, api_host='127.0.0.1',
                 control_db=None, transport_url=None, api_workers=2,
                 report_interval=10, heartbeat_expiry=60,
                 address_pool='127.10.0.0/16', extra_options=()):
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
    def openrc(self):
        return os.path.join(self.state_dir, 'openrc')

    @property
    def api_url(self):
        return 'http://%s:%d' % (self.api_host, self.api_port)

    def write(self):
        for path in (self.state_dir, self.run_dir, self.log_dir,
                     self.instances_dir):
            os.makedirs(path, exist_ok=True)
        # Engines run as unprivileged users and must reach their volumes.
        os.chmod(self.state_dir, 0o755)
        os.chmod(self.instances_dir, 0o755)
        values = dict(vars(self))
        with open(self.trove_conf, 'w') as conf:
            conf.write(TROVE_CONF.format(**values))
            conf.write(self._extra_sections())
        with open(self.guest_conf, 'w') as conf:
            conf.write(GUEST_CONF.format(**values))

    def _extra_sections(self):
        """Extra options as sections appended after the main ones; oslo.config
        merges repeated sections, later values winning."""
        text = ''
        for group, key, value in self.extra_options:
            text += '\n[%s]\n%s = %s\n' % (group, key, value)
        return text

    def write_openrc(self, project_id):
        endpoint = '%s/v1.0/%s' % (self.api_url, project_id)
        with open(self.openrc, 'w') as openrc:
            openrc.write(OPENRC.format(endpoint=endpoint,
                                       api_url=self.api_url,
                                       project_id=project_id))
        return self.openrc


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
