"""Flavors: the sizes instances come in.

Where flavors live is the compute provider's business (the local
provider keeps them in the control database, the openstack provider asks
Nova); this module only asks the configured provider.
"""

from trove import compute
from trove.compute import base

Flavor = base.Flavor


def list_flavors(context):
    return compute.get_provider().flavors.list(context)


def get_flavor(context, flavor_id):
    return compute.get_provider().flavors.get(context, flavor_id)
