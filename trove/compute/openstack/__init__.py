"""The openstack compute provider: Nova servers, Cinder volumes, Neutron
ports and security groups, Glance images, in Trove's service project.

The pieces that do not depend on the provider interface live here first:
``clients`` (keystoneauth session from [service_credentials]),
``userdata`` (cloud-init), ``images``, ``networks``, ``addresses`` and
``faults``.
"""
