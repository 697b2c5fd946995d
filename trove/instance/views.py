"""JSON shapes of instances (summary, detail) as upstream's views."""

from trove.common import views
from trove.records import replication_sets


def _flavor(request, instance):
    flavor_id = instance.row.flavor_id
    return {'id': flavor_id,
            'links': views.create_links(request, 'flavors', flavor_id,
                                        tenant_id=instance.tenant_id)}


def instance_view(request, instance):
    """The summary shown in lists."""
    row = instance.row
    version = instance.datastore_version
    view = {
        'id': row.id,
        'name': row.name,
        'status': instance.status,
        'operating_status': instance.operating_status,
        'links': views.create_links(request, 'instances', row.id,
                                    tenant_id=row.tenant_id),
        'flavor': _flavor(request, instance),
        'datastore': {'type': version.datastore.name,
                      'version': version.name},
        'region': row.region_id,
    }
    access = instance.access
    view['access'] = access if access is not None else {
        'is_public': instance.is_public}
    if row.volume_size is not None:
        view['volume'] = {'size': row.volume_size}
    addresses = instance.addresses
    if addresses:
        view['addresses'] = addresses
        view['ip'] = [a['address'] for a in addresses]
    if row.slave_of_id:
        view['replica_of'] = _link(request, row.slave_of_id, row.tenant_id)
    replicas = instance.replica_ids
    if replicas:
        view['replicas'] = [_link(request, replica_id, row.tenant_id)
                            for replica_id in replicas]
    if request.context.is_admin:
        view['tenant_id'] = row.tenant_id
    return view


def _link(request, instance_id, tenant_id):
    return {'id': instance_id,
            'links': views.create_links(request, 'instances', instance_id,
                                        tenant_id=tenant_id)}


def _fault(request, fault):
    view = {'message': fault.message,
            'created': views.isotime(fault.updated or fault.created)}
    if request.context.is_admin:
        view['details'] = fault.details
    return view


def failover_view(instance, replicas):
    """auto_failover, replication_mode, replication_epoch (extension keys)
    of a replica-set member."""
    row = instance.row
    if row.slave_of_id:
        return {'replication_epoch': row.replication_epoch or 0}
    if not replicas and row.auto_failover is None and \
            row.replication_mode is None:
        return {}
    auto, mode = replication_sets.failover_settings(row)
    return {'auto_failover': auto, 'replication_mode': mode,
            'replication_epoch': row.replication_epoch or 0}


def instance_detail_view(request, instance, volume_info=None,
                         root_password=None):
    row = instance.row
    view = instance_view(request, instance)
    view['created'] = views.isotime(row.created)
    view['updated'] = views.isotime(row.updated)
    view['service_status_updated'] = views.isotime(
        instance.service_status_updated)
    view['datastore']['version_number'] = instance.datastore_version.version
    if instance.fault is not None:
        view['fault'] = _fault(request, instance.fault)
    if row.configuration_id and row.configuration is not None:
        view['configuration'] = {
            'id': row.configuration_id,
            'name': row.configuration.name,
            'links': views.create_links(request, 'configurations',
                                        row.configuration_id,
                                        tenant_id=row.tenant_id)}
    if volume_info and 'volume' in view:
        used = round(float(volume_info.get('used', 0.0)), 2)
        view['volume']['used'] = used
        size = view['volume']['size']
        if size:
            view['volume']['used_percent'] = round(100.0 * used / size, 2)
    cluster_id = getattr(row, 'cluster_id', None)
    if cluster_id:
        view['cluster_id'] = cluster_id
    view.update(failover_view(instance, instance.replica_ids))
    if row.locality:
        view['locality'] = row.locality
    if root_password:
        view['password'] = root_password
    if request.context.is_admin:
        view['server_id'] = row.compute_instance_id
        view['volume_id'] = row.volume_id
    return view
