"""JSON shapes of flavors."""

from trove.common import views
from trove.conf import CONF


def _numeric_id(flavor_id):
    """Upstream shows ``id`` as an int only for digit ids without a
    leading zero; clients use ``str_id`` otherwise."""
    if flavor_id.isdigit() and not (len(flavor_id) > 1
                                    and flavor_id.startswith('0')):
        return int(flavor_id)
    return None


def flavor_view(request, flavor):
    view = {
        'id': _numeric_id(flavor.id),
        'str_id': flavor.id,
        'name': flavor.name,
        'ram': flavor.ram,
        'vcpus': flavor.vcpus,
        'disk': flavor.disk,
        'ephemeral': flavor.ephemeral,
        'links': views.create_links(request, 'flavors', flavor.id),
    }
    if not CONF.trove_volume_support:
        view['local_storage'] = flavor.ephemeral
    return view
