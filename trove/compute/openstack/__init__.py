"""The openstack compute provider: Trove on an OpenStack cloud.

Servers are Nova servers (``compute``), data volumes Cinder volumes
(``volume``) and flavors Nova's (``flavors``), all in the service project
of the ``[service_credentials]`` user, as upstream Trove makes them. A
server boots the datastore version's Glance image (``images``) with its
guest agent's files as cloud-init user-data (``userdata``), on ports of
the management network and the user's networks with a security group of
its own (``networks``); its addresses are shown as upstream does
(``addresses``) and the services' failures become messages a user can act
on (``faults``). ``clients`` builds the keystoneauth session and the
clients every module uses.
"""

from trove.compute import base


def provider():
    """The openstack provider bundle."""
    from trove.compute.openstack import compute, flavors, volume
    return base.Provider(name='openstack',
                         compute=compute.NovaComputeDriver(),
                         volumes=volume.CinderVolumeDriver(),
                         flavors=flavors.NovaFlavors())
