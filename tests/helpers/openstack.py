"""The real OpenStack stack for the ``openstack`` test tier, once a run.

``openstack_stack`` brings up trove.localenv.openstack's stack (Keystone,
Placement, Glance, Nova with the fake virt driver, Neutron, Cinder with
the fake volume driver) in a temp dir from the machine's template, and
stops every process by pid after the last test of the package that
imports it (tests/openstack). The first use on a
machine installs the stack's virtualenv (~100 s) and builds the template
(~110 s); afterwards a session pays ~35 s up and ~10 s down.

The tier's tests are marked ``openstack`` and run one at a time (the
stack is shared, and two stacks would not fit the CI machine's 2 cores).
The fixture skips only when the stack cannot be installed because PyPI is
unreachable; any other failure is an error.
"""

import dataclasses
import os
import shutil

import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.helpers import identity as identity_helpers
from trove import compute
from trove.common import context
from trove.compute.openstack import clients
from trove.conf import CONF
from trove.localenv import external
from trove.localenv.openstack import install
from trove.localenv.openstack import stack as openstack


@dataclasses.dataclass
class OpenStackFixture:
    stack: openstack.OpenStackStack
    environment: openstack.StackEnvironment

    @property
    def identity(self):
        return self.environment.identity

    @property
    def resources(self):
        return self.environment.resources

    def credentials(self, user):
        if user == 'admin':
            return self.identity.admin
        if user == 'trove':
            return self.identity.service
        return self.identity.users[user]

    def session(self, user='trove', requests_session=None):
        """A keystoneauth session of ``user`` (admin, trove, alice, bob)
        scoped to that user's project."""
        credentials = self.credentials(user)
        auth = v3.Password(auth_url=self.identity.auth_url,
                           username=credentials.username,
                           password=credentials.password,
                           project_name=credentials.project_name,
                           user_domain_id=credentials.user_domain_id,
                           project_domain_id=credentials.project_domain_id)
        return ks_session.Session(auth=auth, session=requests_session)


def _start(base_dir):
    stack = openstack.OpenStackStack(os.path.join(base_dir, 'openstack'))
    try:
        environment = stack.up()
    except external.ExternalServiceError as error:
        if not install.is_installed() and not install.pypi_reachable():
            pytest.skip('the OpenStack test stack cannot be installed: PyPI '
                        'is unreachable (%s)' % str(error).splitlines()[0])
        raise
    return stack, environment


@pytest.fixture(scope='package')
def openstack_stack():
    if not install.is_installed() and not install.pypi_reachable():
        pytest.skip('the OpenStack test stack is not installed and PyPI is '
                    'unreachable to install it')
    base_dir = identity_helpers.world_readable_temp_dir('trove-openstack-')
    stack = None
    try:
        stack, environment = _start(base_dir)
        yield OpenStackFixture(stack, environment)
    finally:
        if stack is not None:
            stack.down()
        shutil.rmtree(base_dir, ignore_errors=True)


class OpenStackHarness:
    """The openstack provider, configured like a deployment against the
    stack (service user ``trove``, the stack's management network), for
    the provider contract suite (tests/contract) and the provider tests.

    Servers it leaves are deleted at ``stop`` (with their ports and
    security groups), so each test starts from a clean service project.
    """

    name = 'openstack'
    boot_timeout = 60
    datastore_manager = 'mariadb'

    def __init__(self, fixture):
        self.fixture = fixture
        flavors = fixture.resources.flavors
        self.flavor = {'id': flavors['trove.small'], 'name': 'trove.small',
                       'ram': 512, 'vcpus': 1, 'disk': 2, 'ephemeral': 0}
        self.other_flavor = {'id': flavors['trove.medium'],
                             'name': 'trove.medium', 'ram': 1024,
                             'vcpus': 2, 'disk': 4, 'ephemeral': 0}
        # What a datastore version gives every server: its image tags.
        self.spec_defaults = {'image_tags': ['trove', 'mariadb']}
        self._overrides = []

    def _override(self, name, value, group=None):
        CONF.set_override(name, value, group=group)
        self._overrides.append((name, group))

    def start(self):
        service = self.fixture.identity.service
        for name, value in (('auth_url', self.fixture.identity.auth_url),
                            ('username', service.username),
                            ('password', service.password),
                            ('project_name', service.project_name),
                            ('region_name', self.fixture.identity.region)):
            self._override(name, value, group='service_credentials')
        self._override('management_networks',
                       [self.fixture.resources.management_network_id])
        self._override('compute_provider', 'openstack')
        self._override('server_delete_time_out', 30)
        clients.set_session(None)
        compute.reset()
        self.provider = compute.get_provider()
        return self.provider

    def stop(self):
        try:
            self.delete_servers()
        finally:
            for name, group in reversed(self._overrides):
                CONF.clear_override(name, group=group)
            self._overrides = []
            clients.set_session(None)
            compute.reset()

    def delete_servers(self):
        """Delete every Trove server of the service project."""
        nova = clients.nova()
        ctx = context.get_admin_context()
        for server in nova.servers.list(search_opts={
                'tags': 'trove_instance'}):
            try:
                self.provider.compute.delete_server(ctx, server.id)
            except Exception:  # noqa: BLE001 - best effort between tests
                pass
