"""What a user chooses from when asking the local provider for an instance
besides a flavor: its availability zone and its volume types.

On OpenStack, Nova lists the availability zones and Cinder the volume
types; on one machine the local provider is both, and this module is the
one place that says what it offers, from ``[local] availability_zone``,
``[local] volume_types`` and the volume types operators defined with
``trove-manage volume_type_create`` (``trove.compute.local.volume_types``,
in the control database). The local drivers (capabilities and
validation), trove-local's Nova/Cinder routes and the volume-types API
all read them here. Flavors are not here: they live in the control
database (``trove.compute.local.flavors``).
"""

import dataclasses

from trove.compute.local import volume_types as defined_types
from trove.conf import CONF

_DIRECTORY = ('A directory on this machine with a declared size; used '
              'space is measured and reported.')


@dataclasses.dataclass(frozen=True)
class VolumeType:
    id: str
    name: str
    description: str
    is_public: bool = True


def availability_zones():
    """Names of the zones instances can be placed in (the local provider
    has one; "nova" by default, the name clients and Horizon send)."""
    return [CONF.local.availability_zone]


def volume_types(context=None):
    """The volume types offered (all are directories on this machine):
    the option's first (its first is the default), then the defined
    ones. Ids are derived from names, so a type keeps its id across
    restarts and processes."""
    offered = [VolumeType(id=defined_types.type_id(name), name=name,
                          description=_DIRECTORY)
               for name in CONF.local.volume_types]
    known = {t.name for t in offered}
    return offered + [
        VolumeType(id=row.id, name=row.name,
                   description=row.description or _DIRECTORY)
        for row in defined_types.stored(context) if row.name not in known]


def default_volume_type(context=None):
    """The type a volume gets when the request names none."""
    types = volume_types(context)
    return types[0] if types else None
