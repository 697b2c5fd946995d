"""URL map of the management API, added to the extension router.

Every path is under the caller's project, ``/{tenant_id}/mgmt/...``, as
upstream maps them.
"""

from trove.cluster import service as cluster_service
from trove.common import wsgi
from trove.extensions.mgmt.configuration import service as config_service
from trove.extensions.mgmt.datastores import service as datastore_service
from trove.extensions.mgmt.instances import service as instance_service
from trove.quota import service as quota_service

MGMT = '/{tenant_id}/mgmt'

VERSIONS = '/datastore-versions'
PARAMETERS = '/datastores/versions/{version_id}/parameters'
QUOTAS = '/quotas/{id}'
INSTANCES = '/instances'


def _connect(router, controller, routes):
    resource = wsgi.Resource(controller)
    for method, path, action in routes:
        router.connect(MGMT + path, resource, action, [method])


def add_routes(router):
    _connect(router, datastore_service.DatastoreVersionController(), [
        ('GET', VERSIONS, 'index'),
        ('POST', VERSIONS, 'create'),
        ('GET', VERSIONS + '/{id}', 'show'),
        ('PATCH', VERSIONS + '/{id}', 'edit'),
        ('DELETE', VERSIONS + '/{id}', 'delete'),
    ])
    _connect(router, config_service.ParameterController(), [
        ('GET', PARAMETERS, 'index'),
        ('POST', PARAMETERS, 'create'),
        ('GET', PARAMETERS + '/{name}', 'show'),
        ('PUT', PARAMETERS + '/{name}', 'update'),
        ('DELETE', PARAMETERS + '/{name}', 'delete'),
    ])
    _connect(router, instance_service.MgmtInstanceController(), [
        ('GET', INSTANCES, 'index'),
        ('GET', INSTANCES + '/{id}', 'show'),
        ('POST', INSTANCES + '/{id}/action', 'action'),
        ('GET', INSTANCES + '/{id}/diagnostics', 'diagnostics'),
        ('GET', INSTANCES + '/{id}/hwinfo', 'hwinfo'),
        ('GET', INSTANCES + '/{id}/rpc_ping', 'rpc_ping'),
    ])
    _connect(router, quota_service.QuotaController(), [
        ('GET', QUOTAS, 'show'),
        ('PUT', QUOTAS, 'update'),
    ])
    _connect(router, cluster_service.MgmtClusterController(), [
        ('GET', '/clusters', 'index'),
        ('GET', '/clusters/{id}', 'show'),
        ('POST', '/clusters/{id}/action', 'action'),
    ])
