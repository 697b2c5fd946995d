"""Flavors: the sizes instances come in.

Where flavors live depends on the compute provider: the local provider
keeps them in the control database's ``flavors`` table (managed with
``trove-manage flavor_*``), the openstack provider asks Nova.
"""

import dataclasses

from trove.common import exception
from trove.db import api as db_api
from trove.db import models as db_models


@dataclasses.dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    ram: int
    vcpus: int
    disk: int
    ephemeral: int = 0

    def to_dict(self):
        """The plain dict sent in RPC messages."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        return cls(**{f.name: values[f.name]
                      for f in dataclasses.fields(cls) if f.name in values})


def _from_row(row):
    return Flavor(id=row.id, name=row.name, ram=row.ram, vcpus=row.vcpus,
                  disk=row.disk, ephemeral=row.ephemeral)


class LocalFlavors:
    """Flavors of the local provider, stored in the control database."""

    def list(self, context):
        rows = db_api.read_objects(
            context, lambda session: session.query(db_models.Flavor).all())
        return sorted((_from_row(r) for r in rows), key=_sort_key)

    def get(self, context, flavor_id):
        row = db_api.read_objects(context, lambda session: session.get(
            db_models.Flavor, str(flavor_id)))
        if row is None:
            raise exception.FlavorNotFound(uuid=flavor_id)
        return _from_row(row)

    def create(self, context, name, ram, vcpus, disk, ephemeral=0,
               flavor_id=None):
        with db_api.writer(context) as session:
            if flavor_id is None:
                flavor_id = _next_numeric_id(session)
            row = db_models.Flavor(id=str(flavor_id), name=name, ram=ram,
                                   vcpus=vcpus, disk=disk,
                                   ephemeral=ephemeral)
            session.add(row)
        return _from_row(row)

    def delete(self, context, flavor_id):
        with db_api.writer(context) as session:
            row = session.get(db_models.Flavor, str(flavor_id))
            if row is None:
                raise exception.FlavorNotFound(uuid=flavor_id)
            session.delete(row)


def _next_numeric_id(session):
    ids = [int(i) for (i,) in session.query(db_models.Flavor.id)
           if i.isdigit()]
    return max(ids, default=0) + 1


def _sort_key(flavor):
    return (0, int(flavor.id), '') if flavor.id.isdigit() else (1, 0, flavor.id)


def flavor_source():
    """The flavor store of the configured compute provider."""
    from trove.conf import CONF
    if CONF.compute_provider == 'openstack':
        from trove.compute.openstack import flavors
        return flavors.NovaFlavors()
    return LocalFlavors()


def list_flavors(context):
    return flavor_source().list(context)


def get_flavor(context, flavor_id):
    return flavor_source().get(context, flavor_id)
