"""JSON shapes of the management quota API."""

# The api-ref sample lists instances, backups, volumes; ram comes last.
ORDER = ('instances', 'backups', 'volumes', 'ram')


def usage_view(limits, usages):
    """``GET /mgmt/quotas/{project}``: one entry per resource."""
    return {'quotas': [
        {'resource': resource,
         'in_use': usages[resource][0],
         'reserved': usages[resource][1],
         'limit': limits[resource]}
        for resource in ORDER if resource in limits]}


def update_view(updated):
    """``PUT /mgmt/quotas/{project}``: the limits that were set."""
    return {'quotas': dict(updated)}
