"""Flavors of the openstack provider: Nova's, as upstream's /flavors shows.

Trove keeps no flavors of its own on OpenStack: the API lists and shows
what Nova has (as the service user sees it), and a create request names
a Nova flavor.
"""

from novaclient import exceptions as nova_exceptions

from trove.common import exception
from trove.compute import base
from trove.compute.openstack import clients


def _flavor(flavor):
    return base.Flavor(id=str(flavor.id), name=flavor.name,
                       ram=int(flavor.ram), vcpus=int(flavor.vcpus),
                       disk=int(flavor.disk),
                       ephemeral=int(getattr(
                           flavor, 'OS-FLV-EXT-DATA:ephemeral', 0) or 0))


class NovaFlavors(base.FlavorDriver):

    def __init__(self, session=None):
        self._session = session

    def list(self, context):
        return [_flavor(flavor) for flavor in
                clients.nova(self._session).flavors.list(detailed=True)]

    def get(self, context, flavor_id):
        try:
            return _flavor(clients.nova(self._session).flavors.get(
                flavor_id))
        except nova_exceptions.NotFound as error:
            raise exception.FlavorNotFound(uuid=flavor_id) from error
