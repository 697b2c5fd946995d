"""Trove deployed on the test stack, as an operator would on a cloud.

trove-api, trove-taskmanager and trove-conductor run as processes with
``compute_provider = openstack``: tokens checked by the stack's Keystone
(where trove-api is the catalog's ``database`` service), servers,
volumes and ports made in the service project as the ``trove`` user, the
stack's management network, the datastore version booting the image
tagged ``trove``/``mariadb``, and backups in a Keystone Swift that is the
catalog's ``object-store``. The stack's Nova boots nothing: the tests run
trove.localenv.openstack.hypervisor beside it (``HypervisorThread``).
"""

import os
import subprocess
import sys
import threading

from tests.e2e import system as e2e
from tests.helpers import object_store, ports
from trove.common import engines
from trove.conf import CONF
from trove.localenv import config as local_config
from trove.localenv import services
from trove.localenv.openstack import hypervisor
from trove.localenv.openstack import resources as stack_resources

VENV_BIN = os.path.dirname(sys.executable)
DATASTORE = 'mariadb'


class OpenStackTroveSystem:

    def __init__(self, base_dir, fixture, transport_url):
        self.base_dir = base_dir
        self.fixture = fixture
        self.state_dir = os.path.join(base_dir, 'trove')
        self.api_port = ports.free_port()
        self.transport_url = transport_url
        self.swift = None
        self.config = None

    @property
    def identity(self):
        return self.fixture.identity

    @property
    def api_url(self):
        return 'http://127.0.0.1:%d' % self.api_port

    def up(self):
        keystone = self.fixture.stack.keystone
        keystone.register_endpoint(
            'trove', 'database', self.api_url + '/v1.0/$(tenant_id)s')
        self.swift = object_store.start_swift(self.base_dir, self.identity)
        keystone.register_endpoint('swift', 'object-store',
                                   self.swift.server.url_template)
        resources = self.fixture.resources
        options = [('DEFAULT', 'compute_provider', 'openstack'),
                   ('DEFAULT', 'management_networks',
                    resources.management_network_id),
                   ('DEFAULT', 'storage_strategy', 'swift')]
        options += e2e_options()
        self.config = local_config.LocalConfig(
            self.state_dir, api_port=self.api_port,
            transport_url=self.transport_url, report_interval=2,
            heartbeat_expiry=20, identity=self.identity,
            extra_options=options)
        self.config.write()
        self.manage('db_sync')
        self.register_datastore()
        for name in services.wanted(self.config):
            services.start(self.config, name)
        services.wait_for_api(self.config)

    def register_datastore(self):
        engine = next(e for e in engines.installed_engines()
                      if e.datastore == DATASTORE)
        self.manage('datastore_update', DATASTORE, '')
        self.manage('datastore_version_update', DATASTORE,
                    engine.version_name, DATASTORE, '', '', '1',
                    '--image-tags', ','.join(stack_resources.IMAGE_TAGS),
                    '--version', engine.version)
        self.manage('datastore_update', DATASTORE, engine.version_name)

    def manage(self, *args):
        result = subprocess.run(
            [os.path.join(VENV_BIN, 'trove-manage'), '--config-file',
             self.config.trove_conf] + list(args),
            capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError('trove-manage %s failed: %s'
                               % (args[0], result.stderr[-2000:]))
        return result.stdout

    def logs_tail(self, lines=40):
        return e2e.TroveSystem.logs_tail(self, lines)

    def down(self):
        if self.config is not None:
            for name in reversed(services.wanted(self.config)):
                services.stop(self.config, name)
        if self.swift is not None:
            self.swift.server.stop()


def e2e_options():
    """The e2e tier's short deadlines, as (group, name, value)."""
    options = []
    for option in e2e.TEST_OPTIONS:
        name, _sep, value = option.partition('=')
        group, _dot, key = name.rpartition('.')
        options.append((group or 'DEFAULT', key, value))
    return options


class HypervisorThread:
    """The stand-in hypervisor, syncing every half second until stopped.

    A failure to boot a server is kept and raised by ``check`` (and at
    stop), so a test sees why its instance never became ACTIVE."""

    def __init__(self, root_dir, fixture):
        self.hypervisor = hypervisor.Hypervisor(
            root_dir, fixture.session('admin'),
            {DATASTORE: CONF.get(DATASTORE).mount_point},
            management_network=stack_resources.MANAGEMENT_NETWORK)
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.hypervisor.sync()
            except Exception as error:  # noqa: BLE001 - reported by check
                self.errors.append(repr(error))
            self._stop.wait(0.5)

    def start(self):
        self._thread.start()
        return self

    def check(self):
        if self.errors:
            raise AssertionError('hypervisor: %s' % self.errors[-1])

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=30)
        self.hypervisor.stop_all()
