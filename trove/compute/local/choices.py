"""What a user chooses from when asking the local provider for an instance
besides a flavor: its availability zone and its volume types.

On OpenStack, Nova lists the availability zones and Cinder the volume
types; on one machine the local provider is both, and this module is the
one place that says what it offers, from ``[local] availability_zone``
and ``[local] volume_types``. The local drivers (capabilities and
validation), trove-local's Nova/Cinder routes and the volume-types API
all read them here. Flavors are not here: they live in the control
database (``trove.compute.local.flavors``). This module never touches
the database or a process.
"""

import dataclasses
import uuid

from trove.conf import CONF

# Volume type ids are derived from their names, so a type chosen once
# keeps its id across restarts and processes.
_TYPE_NAMESPACE = uuid.UUID('5a2e4c3c-6c1d-4d8e-9a51-0c8f4e1b7a01')


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
    """The volume types offered (all are directories on this machine)."""
    return [VolumeType(
        id=str(uuid.uuid5(_TYPE_NAMESPACE, name)), name=name,
        description='A directory on this machine with a declared size; '
                    'used space is measured and reported.')
        for name in CONF.local.volume_types]


def default_volume_type(context=None):
    """The type a volume gets when the request names none."""
    types = volume_types(context)
    return types[0] if types else None
