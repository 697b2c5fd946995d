"""Routes of the databases/users/root extension (upstream's "mysql")."""

from trove.common import wsgi
from trove.extensions.common import databases
from trove.extensions.common import root
from trove.extensions.common import users

INSTANCE = '/{tenant_id}/instances/{instance_id}'


def _connect(router, controller, routes):
    resource = wsgi.Resource(controller)
    for method, path, action in routes:
        router.connect(path, resource, action, [method])


def add_routes(router):
    _connect(router, databases.DatabaseController(), [
        ('GET', INSTANCE + '/databases', 'index'),
        ('POST', INSTANCE + '/databases', 'create'),
        ('GET', INSTANCE + '/databases/{id}', 'show'),
        ('DELETE', INSTANCE + '/databases/{id}', 'delete'),
    ])
    _connect(router, users.UserController(), [
        ('GET', INSTANCE + '/users', 'index'),
        ('POST', INSTANCE + '/users', 'create'),
        ('PUT', INSTANCE + '/users', 'update_all'),
        ('GET', INSTANCE + '/users/{id}', 'show'),
        ('PUT', INSTANCE + '/users/{id}', 'update'),
        ('DELETE', INSTANCE + '/users/{id}', 'delete'),
    ])
    _connect(router, users.UserAccessController(), [
        ('GET', INSTANCE + '/users/{user_id}/databases', 'index'),
        ('PUT', INSTANCE + '/users/{user_id}/databases', 'update'),
        ('DELETE', INSTANCE + '/users/{user_id}/databases/{id}', 'delete'),
    ])
    _connect(router, root.RootController(), [
        ('GET', INSTANCE + '/root', 'index'),
        ('POST', INSTANCE + '/root', 'create'),
        ('DELETE', INSTANCE + '/root', 'delete'),
    ])
    _connect(router, root.ClusterRootController(), [
        ('GET', '/{tenant_id}/clusters/{cluster_id}/root', 'index'),
        ('POST', '/{tenant_id}/clusters/{cluster_id}/root', 'create'),
    ])
    _connect(router, root.RootHistoryController(), [
        ('GET', '/{tenant_id}/mgmt/instances/{id}/root', 'root'),
    ])
