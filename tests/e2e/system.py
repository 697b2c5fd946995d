"""Driving trove-local and the clients from end-to-end tests."""

import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from keystoneauth1 import noauth
from keystoneauth1 import session
from troveclient.v1 import client as trove_client

from tests.helpers import ports
from tests.helpers import rabbit
from trove.compute.local import layout as local_layout

VENV_BIN = os.path.dirname(sys.executable)

# Short intervals so failures show within seconds.
TEST_OPTIONS = [
    'usage_timeout=120',
    'agent_call_low_timeout=10',
    'agent_call_high_timeout=120',
    'configuration_apply_timeout=15',
    'state_change_wait_time=90',
    'usage_sleep_time=1',
    'trove_api_workers=2',
    'mariadb.usage_timeout=120',
    'mysql.usage_timeout=120',
]


class TroveSystem:

    def __init__(self, state_dir, api_port, transport_url, address_pool,
                 report_interval=2, heartbeat_expiry=8, extra_options=(),
                 control_db=None, extra_args=()):
        self.state_dir = state_dir
        self.control_db = control_db
        self.api_port = api_port
        self.transport_url = transport_url
        self.address_pool = address_pool
        self.report_interval = report_interval
        self.heartbeat_expiry = heartbeat_expiry
        self.extra_options = list(TEST_OPTIONS) + list(extra_options)
        # More trove-local up flags (--taskmanagers 2...).
        self.extra_args = list(extra_args)

    @property
    def api_url(self):
        return 'http://127.0.0.1:%d' % self.api_port

    def endpoint(self, project_id):
        return '%s/v1.0/%s' % (self.api_url, project_id)

    def _trove_local(self, *args, timeout=180):
        result = subprocess.run(
            [os.path.join(VENV_BIN, 'trove-local')] + list(args),
            capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError('trove-local %s failed:\n%s\n%s\n%s' % (
                args[0], result.stdout, result.stderr, self.logs_tail()))
        return result.stdout

    def up_flags(self):
        """More ``trove-local up`` arguments (subclasses)."""
        return []

    def up(self, timeout=180):
        args = ['up', '--state-dir', self.state_dir,
                '--api-port', str(self.api_port),
                '--transport-url', self.transport_url,
                '--address-pool', self.address_pool,
                '--report-interval', str(self.report_interval),
                '--heartbeat-expiry', str(self.heartbeat_expiry)]
        if self.control_db:
            args += ['--control-db', self.control_db]
        for option in self.extra_options:
            args += ['--set', option]
        return self._trove_local(*(args + self.up_flags() + self.extra_args),
                                 timeout=timeout)

    def down(self):
        return self._trove_local('down', '--state-dir', self.state_dir)

    def logs_tail(self, lines=30):
        logs_dir = os.path.join(self.state_dir, 'logs')
        text = []
        if os.path.isdir(logs_dir):
            for name in sorted(os.listdir(logs_dir)):
                with open(os.path.join(logs_dir, name), 'rb') as log:
                    tail = log.read().splitlines()[-lines:]
                text.append('== %s\n%s' % (name, b'\n'.join(tail).decode(
                    'utf-8', 'replace')))
        return '\n'.join(text)

    def manage(self, *args):
        """Run trove-manage on this system's config."""
        result = subprocess.run(
            [os.path.join(VENV_BIN, 'trove-manage'), '--config-file',
             os.path.join(self.state_dir, 'trove.conf')] + list(args),
            capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError('trove-manage %s failed: %s'
                               % (args[0], result.stderr))
        return result.stdout

    def create_flavor(self, name, ram_mb, vcpus=1, disk=5):
        """A new local flavor with a unique id; returns the id."""
        import uuid
        flavor_id = 'f' + uuid.uuid4().hex[:8]
        self.manage('flavor_create', '%s-%s' % (name, flavor_id),
                    str(ram_mb), str(vcpus), str(disk), '--id', flavor_id)
        return flavor_id

    def start_server(self, instance_id):
        """Start an instance's guest agent with the local provider, in a
        process of its own configured like the taskmanager."""
        code = ('import sys; from trove.cmd import common; '
                'common.setup(["--config-file", sys.argv[1]]); '
                'from trove.common import context; '
                'from trove.compute.local import compute; '
                'compute.LocalComputeDriver().start_server('
                'context.get_admin_context(), sys.argv[2])')
        subprocess.run([sys.executable, '-c', code,
                        os.path.join(self.state_dir, 'trove.conf'),
                        self.server_id(instance_id)], check=True,
                       timeout=60, capture_output=True)

    def server_ids(self, instance_id):
        """Ids of the local servers made for an instance (read from their
        records, as the provider's find_servers does)."""
        found = []
        for server_dir in local_layout.child_dirs(
                os.path.join(self.state_dir, 'instances')):
            record = local_layout.read_json(
                os.path.join(server_dir, 'server.json')) or {}
            if (record.get('metadata') or {}).get(
                    'trove_instance_id') == instance_id:
                found.append(record['id'])
        return found

    def server_id(self, instance_id):
        found = self.server_ids(instance_id)
        if len(found) != 1:
            raise AssertionError('instance %s has servers %s, not one'
                                 % (instance_id, found))
        return found[0]

    def volume_dir(self, instance_id):
        """The directory of the instance's data volume (its data under
        ``mount/``)."""
        root = os.path.join(self.state_dir, 'volumes')
        for volume_dir in local_layout.child_dirs(root):
            record = local_layout.read_json(
                os.path.join(volume_dir, 'volume.json')) or {}
            if record.get('instance_id') == instance_id:
                return volume_dir
        raise AssertionError('instance %s has no volume' % instance_id)

    def instance_dir(self, instance_id):
        """The directory of the instance's server."""
        return os.path.join(self.state_dir, 'instances',
                            self.server_id(instance_id))

    def client(self, project_id):
        auth = noauth.NoAuth(endpoint=self.endpoint(project_id))
        return trove_client.Client(session=session.Session(auth=auth))

    def admin_client(self, project_id):
        """A client whose requests carry the admin role (noauth honours
        X-Roles)."""
        auth = noauth.NoAuth(endpoint=self.endpoint(project_id))
        sess = session.Session(auth=auth,
                               additional_headers={'X-Roles': 'admin'})
        return trove_client.Client(session=sess)

    def openrc_env(self, project_id):
        """What a user gets from DIR/openrc (written for this project)."""
        openrc = os.path.join(self.state_dir, 'openrc-%s' % project_id)
        from trove.localenv import config as local_config
        config = local_config.LocalConfig(self.state_dir,
                                          api_port=self.api_port)
        path = config.write_openrc(project_id)
        os.replace(path, openrc)
        env = {'HOME': os.environ.get('HOME', '/root'),
               'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
               'OPENRC': openrc, 'PYTHONWARNINGS': 'ignore'}
        return env


class KeystoneTroveSystem(TroveSystem):
    """trove-local with --keystone on a free Keystone port, and ``flags``
    such as --horizon or --swift."""

    def __init__(self, *args, keystone_port, flags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.keystone_port = keystone_port
        self.flags = list(flags)

    def up_flags(self):
        return ['--keystone', '--keystone-port',
                str(self.keystone_port)] + self.flags

    @property
    def keystone_dir(self):
        return os.path.join(self.state_dir, 'keystone')

    def identity(self):
        from trove.localenv import keystone
        return keystone.KeystoneServer(
            self.keystone_dir, self.keystone_port).load_identity()


def keystone_client(identity, credentials):
    """python-troveclient with Keystone password auth: the endpoint comes
    from the service catalog."""
    from keystoneauth1.identity import v3
    auth = v3.Password(auth_url=identity.auth_url,
                       username=credentials.username,
                       password=credentials.password,
                       project_name=credentials.project_name,
                       user_domain_id='default', project_domain_id='default')
    return trove_client.Client(session=session.Session(auth=auth))


_POOLS_TAKEN = set()


def _pool_range():
    """The second octets this test process may use: 100-199, split
    between the pytest-xdist workers of the run, so two workers never
    pick the same pool at the same time."""
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    count = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    return range(100 + index * 100 // count,
                 100 + (index + 1) * 100 // count)


def free_address_pool():
    """A loopback /16 of its own, so concurrent runs never share one (and
    no two systems of this session do)."""
    left = set(_pool_range()) - _POOLS_TAKEN
    if not left:
        # Every pool of this worker was used once: the systems that had
        # the first ones were torn down with their modules long since.
        _POOLS_TAKEN.clear()
        left = set(_pool_range())
    second = random.choice(sorted(left))
    _POOLS_TAKEN.add(second)
    return '127.%d.0.0/16' % second


@contextlib.contextmanager
def _given(transport_url):
    yield transport_url


@contextlib.contextmanager
def temporary_system(prefix, system_class=TroveSystem, transport_url=None,
                     **kwargs):
    """A system (not yet up) with a state dir, a RabbitMQ vhost, an API
    port and an address pool of its own: two systems sharing a vhost would
    take each other's messages. Brought down and removed afterwards
    (TROVE_E2E_KEEP_STATE=1 keeps the state dir for a post-mortem).
    ``transport_url``: a broker of the caller's own instead (a private
    RabbitMQ node)."""
    state_dir = tempfile.mkdtemp(prefix=prefix)
    os.chmod(state_dir, 0o755)
    with (_given(transport_url) if transport_url
          else rabbit.private_transport_url()) as transport_url:
        system = system_class(state_dir=state_dir,
                              api_port=ports.free_port(),
                              transport_url=transport_url,
                              address_pool=free_address_pool(), **kwargs)
        try:
            yield system
        finally:
            if os.path.exists(os.path.join(state_dir, 'trove.conf')):
                system.down()
            if os.environ.get('TROVE_E2E_KEEP_STATE'):
                print('e2e state kept in', state_dir)
            else:
                shutil.rmtree(state_dir, ignore_errors=True)


def wait_for_instance(client, instance_id, statuses=('ACTIVE',),
                      timeout=180, system=None):
    """Poll until the instance's status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    instance = None
    while time.monotonic() < deadline:
        instance = client.instances.get(instance_id)
        if instance.status in statuses:
            return instance
        if instance.status == 'ERROR' and 'ERROR' not in statuses:
            break
        time.sleep(1)
    fault = getattr(instance, 'fault', None) if instance else None
    logs = system.logs_tail() if system else ''
    raise AssertionError('instance %s is %s, not %s (fault: %s)\n%s' % (
        instance_id, instance.status if instance else None, statuses, fault,
        logs))


def wait_for_deleted(client, instance_id, timeout=120):
    from troveclient import exceptions
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.instances.get(instance_id)
        except exceptions.NotFound:
            return True
        time.sleep(1)
    raise AssertionError('instance %s still exists' % instance_id)
