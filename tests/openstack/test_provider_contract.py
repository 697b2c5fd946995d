"""The provider contract suite (tests/contract) against the openstack
provider on the real stack.

The suite's tests are imported here, so they run in this tier with its
one shared stack; ``harness`` is the openstack one.
"""

import pytest

from tests.contract.test_provider_contract import *  # noqa: F401,F403
from tests.helpers.openstack import OpenStackHarness

pytestmark = pytest.mark.openstack


@pytest.fixture
def harness(openstack_stack):
    harness = OpenStackHarness(openstack_stack)
    harness.start()
    yield harness
    harness.stop()
