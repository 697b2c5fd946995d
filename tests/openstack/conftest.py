"""The openstack tier: tests against real Keystone, Placement, Glance,
Nova, Neutron and Cinder (tests.helpers.openstack). One stack serves the
whole tier and is stopped when its last test is done, not at the end of
the session, so the tiers that run after do not share the machine with
it."""

from tests.helpers.openstack import openstack_stack  # noqa: F401
