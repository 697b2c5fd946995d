"""What a user chooses from when asking the local provider for an instance
besides a flavor: its availability zone and its volume types.

On OpenStack, Nova lists the availability zones and Cinder the volume
types; on one machine the local provider is both, and this module is the
one place that says what it offers. Flavors are not here: they live in the
control database (``trove.flavor.models.LocalFlavors``).

The local provider has a single zone and, until volume types can be
defined by operators, a single volume type (a directory with a declared
size, see ``volume``). Whatever lists or validates local volume types
(trove-local's Cinder routes now, the volume-types API later) reads them
from ``volume_types``; this module never touches the database or a
process.
"""

import dataclasses

# The name Nova gives its default zone; clients (Horizon's Launch form
# among them) send it back as ``availability_zone``.
AVAILABILITY_ZONE = 'nova'


@dataclasses.dataclass(frozen=True)
class VolumeType:
    id: str
    name: str
    description: str
    is_public: bool = True


DEFAULT_VOLUME_TYPE = VolumeType(
    # Fixed, so a type chosen once stays valid across restarts.
    id='5a2e4c3c-6c1d-4d8e-9a51-0c8f4e1b7a01',
    name='local',
    description='A directory on this machine with a declared size; used '
                'space is measured and reported.')


def availability_zones():
    """Names of the zones instances can be placed in."""
    return [AVAILABILITY_ZONE]


def volume_types(context):
    """The volume types visible to ``context``'s project."""
    return [DEFAULT_VOLUME_TYPE]


def default_volume_type(context):
    """The type a volume gets when the request names none."""
    return DEFAULT_VOLUME_TYPE
