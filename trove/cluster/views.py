"""JSON shapes of clusters, as upstream's ClusterView, plus how many
members are synced (not in upstream)."""

from trove.common import views
from trove.instance import views as instance_views


def _member_view(request, member):
    row = member.row
    view = {'id': row.id, 'name': row.name, 'type': row.type or 'member',
            'links': views.create_links(request, 'instances', row.id,
                                        tenant_id=row.tenant_id),
            'status': member.status,
            # Not in upstream: says when a member lost the primary
            # component (NON_PRIMARY) or its engine is down.
            'operating_status': member.operating_status,
            'flavor': {'id': row.flavor_id,
                       'links': views.create_links(
                           request, 'flavors', row.flavor_id,
                           tenant_id=row.tenant_id)}}
    if row.volume_size is not None:
        view['volume'] = {'size': row.volume_size}
    addresses = member.addresses
    if addresses:
        view['ip'] = [address['address'] for address in addresses]
    return view


def cluster_view(request, cluster):
    row = cluster.row
    task = cluster.task
    version = cluster.datastore_version
    members = [_member_view(request, member) for member in cluster.members]
    view = {
        'id': row.id,
        'name': row.name,
        'task': {'id': task.code, 'name': task.name,
                 'description': task.description},
        'created': views.isotime(row.created),
        'updated': views.isotime(row.updated),
        'links': views.create_links(request, 'clusters', row.id,
                                    tenant_id=row.tenant_id),
        'datastore': {'type': version.datastore.name,
                      'version': version.name},
        'instances': members,
        # Not in upstream: how many members are in the primary component
        # and answering.
        'synced_members': cluster.synced_count,
    }
    addresses = [ip for member in members for ip in member.get('ip', [])]
    if addresses:
        view['ip'] = addresses
    if row.locality:
        view['locality'] = row.locality
    if row.configuration_id:
        view['configuration'] = row.configuration_id
    if request.context.is_admin:
        view['tenant_id'] = row.tenant_id
    return view


def member_detail_view(request, member):
    view = instance_views.instance_detail_view(request, member)
    view['cluster_id'] = member.row.cluster_id
    view['type'] = member.row.type
    return view
