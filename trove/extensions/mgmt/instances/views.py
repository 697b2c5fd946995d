"""JSON shapes of the management instance API: the detail view plus what
an operator needs (server, volume, guest, deleted), as upstream's
MgmtInstanceView / MgmtInstanceDetailView."""

from trove.common import views
from trove.instance import views as instance_views

GB = 1024.0 ** 3


def _server(instance, server, detail):
    if server is None:
        return None
    view = {'id': server.id, 'name': server.name, 'status': server.status,
            'tenant_id': instance.tenant_id, 'host': server.host,
            'availability_zone': server.availability_zone}
    if detail:
        view['addresses'] = server.addresses
    return view


def mgmt_instance_view(request, instance, server=None):
    row = instance.row
    view = instance_views.instance_detail_view(request, instance)
    view.update({
        'server': _server(instance, server, detail=False),
        'service_status': instance.service_status.api_status,
        'tenant_id': row.tenant_id,
        'deleted': bool(row.deleted),
        'deleted_at': views.isotime(row.deleted_at),
        'task_description': instance.task.db_text,
        'server_id': row.compute_instance_id,
        'volume_id': row.volume_id,
        'encrypted_rpc_messaging': bool(getattr(row, 'encrypted_key',
                                                None)),
    })
    return view


def mgmt_instance_detail_view(request, instance, server=None, volume=None,
                              usage=None, root=(None, None)):
    view = mgmt_instance_view(request, instance, server)
    view['server'] = _server(instance, server, detail=True)
    enabled_at, enabled_by = root
    view['root_enabled'] = views.isotime(enabled_at)
    view['root_enabled_by'] = enabled_by
    view['guest_status'] = {
        'state_description': instance.service_status.description}
    if volume is not None or instance.row.volume_size is not None:
        view['volume'] = _volume(instance, volume, usage)
    return view


def _volume(instance, volume, usage):
    result = {'id': instance.row.volume_id,
              'size': instance.row.volume_size}
    if volume is not None:
        result.update({
            'id': volume.id, 'size': volume.size, 'status': volume.status,
            'volume_type': volume.volume_type,
            'attachments': ([{'server_id': volume.attached_to,
                              'volume_id': volume.id}]
                            if volume.attached_to else []),
        })
    if usage:
        result['used'] = round(float(usage.get('used', 0.0)), 2)
        result['total'] = round(float(usage.get('total', 0.0)), 2)
    elif volume is not None and volume.used_bytes is not None:
        result['used'] = round(volume.used_bytes / GB, 2)
    return result


# The guest reports snake_case; upstream's DiagnosticsView renames.
_DIAGNOSTICS_KEYS = {'version': 'version', 'threads': 'threads',
                     'fd_size': 'fdSize', 'vm_size': 'vmSize',
                     'vm_peak': 'vmPeak', 'vm_rss': 'vmRss',
                     'vm_hwm': 'vmHwm'}


def diagnostics_view(values):
    return {'diagnostics': {shown: values.get(key)
                            for key, shown in _DIAGNOSTICS_KEYS.items()}}


def hwinfo_view(values):
    return {'hwinfo': {'mem_total': values.get('mem_total'),
                       'num_cpus': values.get('num_cpus')}}
