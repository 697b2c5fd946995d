"""Flavors of the local provider, stored in the control database's
``flavors`` table (managed with ``trove-manage flavor_*``)."""

from trove.common import exception
from trove.compute import base
from trove.db import api as db_api
from trove.db import models as db_models


def _from_row(row):
    return base.Flavor(id=row.id, name=row.name, ram=row.ram,
                       vcpus=row.vcpus, disk=row.disk,
                       ephemeral=row.ephemeral)


def _sort_key(flavor):
    return (0, int(flavor.id), '') if flavor.id.isdigit() else (1, 0, flavor.id)


def _next_numeric_id(session):
    ids = [int(i) for (i,) in session.query(db_models.Flavor.id)
           if i.isdigit()]
    return max(ids, default=0) + 1


class LocalFlavors(base.FlavorDriver):

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
