"""The provider contract suite: every compute provider must pass it.

A *harness* per provider gives the suite a ready provider bundle and
what a test needs to drive it (a flavor, a datastore manager, the time a
server takes to boot). The local harness runs real detached processes
(a stand-in guest agent that serves like the real one) in a throwaway
directory and loopback range. The openstack harness
(tests.helpers.openstack.OpenStackHarness) drives the real Nova, Cinder
and Neutron of the openstack tier: tests/openstack/test_provider_contract
runs this suite there, on that tier's one shared stack. Add a provider by
adding its harness to HARNESSES (or, for one needing a costly service,
the same way as openstack).
"""

import os
import random
import signal
import subprocess
import sys

import pytest

from tests import fake_provider
from tests.functional.api import app as api_app
from trove import compute
from trove.common import context
from trove.compute.local import flavors as local_flavors
from trove.compute.local import processes
from trove.conf import CONF
from trove.db import api as db_api

FAKE_GUEST = os.path.join(os.path.dirname(__file__), os.pardir,
                          'functional', 'compute', 'fake_guest.py')


class LocalHarness:
    """The local provider in a throwaway state directory."""

    name = 'local'
    boot_timeout = 20
    datastore_manager = 'mariadb'
    flavor = {'id': '7', 'name': 'small', 'ram': 512, 'vcpus': 1,
              'disk': 1, 'ephemeral': 0}
    other_flavor = dict(flavor, id='8', name='medium', ram=1024)

    def __init__(self, root):
        self.root = root
        self._children = []

    def start(self):
        # The local provider's flavors live in the control database.
        url = 'sqlite:///%s' % os.path.join(self.root, 'control.sqlite')
        api_app.migrate(url)
        db_api.configure(url)
        for flavor in (self.flavor, self.other_flavor):
            local_flavors.LocalFlavors().create(
                context.get_admin_context(), flavor['name'], flavor['ram'], flavor['vcpus'],
                flavor['disk'], flavor_id=flavor['id'])
        self.instances_dir = os.path.join(self.root, 'instances')
        self.volumes_dir = os.path.join(self.root, 'volumes')
        CONF.set_override('instances_dir', self.instances_dir, group='local')
        CONF.set_override('volumes_dir', self.volumes_dir, group='local')
        CONF.set_override('address_pool',
                          '127.78.%d.0/28' % random.randint(1, 254),
                          group='local')
        CONF.set_override('guest_agent_command', ' '.join(
            [sys.executable, os.path.abspath(FAKE_GUEST)]), group='local')
        CONF.set_override('server_delete_time_out', 10)
        compute.reset()
        return compute.get_provider()

    def hang(self, server_id):
        """SIGSTOP every process of the server and a child it forks (a
        partitioned, hung engine); returns their pids."""
        server_dir = os.path.join(self.instances_dir, server_id)
        pids = processes.instance_pids(server_dir)
        child = subprocess.Popen(['sleep', '300'], start_new_session=True)
        # Recorded as the engine's helper would be: under run/.
        with open(os.path.join(processes.run_dir(server_dir),
                               'helper.pid'), 'w') as pid_file:
            pid_file.write(str(child.pid))
        self._children.append(child)
        for pid in pids + [child.pid]:
            os.kill(pid, signal.SIGSTOP)
        return pids + [child.pid]

    def stop(self):
        for child in self._children:
            child.wait(5)
        for server_dir in processes.instance_dirs(self.instances_dir):
            processes.stop_instance_processes(server_dir, timeout=5)
        for name in ('instances_dir', 'volumes_dir', 'address_pool',
                     'guest_agent_command'):
            CONF.clear_override(name, group='local')
        CONF.clear_override('server_delete_time_out')
        compute.reset()
        db_api.configure()


class FakeHarness:
    """The in-memory provider the flow unit tests use: it must keep the
    same promises, or those tests prove nothing."""

    name = 'fake'
    boot_timeout = 5
    datastore_manager = 'mariadb'
    flavor = LocalHarness.flavor
    other_flavor = LocalHarness.other_flavor

    def __init__(self, root):
        self.root = root

    def start(self):
        return fake_provider.fake_provider([self.flavor, self.other_flavor])

    def stop(self):
        pass


HARNESSES = {'local': LocalHarness, 'fake': FakeHarness}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request, world_tmp_dir):
    harness = HARNESSES[request.param](str(world_tmp_dir))
    harness.provider = harness.start()
    yield harness
    harness.stop()
