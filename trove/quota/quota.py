"""Quotas: how much of each resource a project may use.

Limits are per-project overrides in ``quotas`` or the ``max_*_per_tenant``
defaults.
"""

from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

RESOURCES = ('instances', 'ram', 'volumes', 'backups')

_DEFAULT_OPTIONS = {
    'instances': 'max_instances_per_tenant',
    'ram': 'max_ram_per_tenant',
    'volumes': 'max_volumes_per_tenant',
    'backups': 'max_backups_per_tenant',
}


def default_limits():
    return {resource: getattr(CONF, option)
            for resource, option in _DEFAULT_OPTIONS.items()}


def get_limits(context, tenant_id):
    """Effective hard limit of each resource for a project."""
    limits = default_limits()
    with db_api.reader(context) as session:
        rows = session.query(db_models.Quota).filter_by(
            tenant_id=tenant_id).all()
    for row in rows:
        if row.resource in limits:
            limits[row.resource] = row.hard_limit
    return limits
