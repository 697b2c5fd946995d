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
