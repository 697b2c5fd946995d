"""Real OpenStack services on this machine, for the ``openstack`` provider.

Keystone, Placement, Glance, Nova (fake virt driver), Neutron (API only,
ports bound by a driver of our own) and Cinder (fake volume driver) run
from one virtualenv of their own, on a private MariaDB and a RabbitMQ
vhost of their own, every service on a free 127.0.0.1 port and every
process stopped by its pid. The first bring-up on a machine builds a
template (migrated databases, keys, flavors, image, networks) that later
bring-ups copy, which is what makes the stack affordable in a test
session. See ``stack.OpenStackStack``.

Nothing here binds anything but 127.0.0.1, and nothing here is imported
by the control plane itself: it is test and development infrastructure.
"""
