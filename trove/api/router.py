"""The URL map of the v1.0 API: every core route and its controller.

Extension routes (databases/users/root, management) are mapped by
``trove.api.extensions`` in front of this application.
"""

from trove.api import not_implemented
from trove.api import version_controller
from trove.backup import schedule_service
from trove.backup import service as backup_service
from trove.cluster import service as cluster_service
from trove.common import wsgi
from trove.configuration import service as configuration_service
from trove.datastore import service as datastore_service
from trove.flavor import service as flavor_service
from trove.instance import guest_logs
from trove.instance import tls_service
from trove.instance import events as instance_events
from trove.instance import service as instance_service
from trove.limits import service as limits_service
from trove.module import service as module_service

TENANT = '/{tenant_id}'


class API(wsgi.Router):

    def __init__(self):
        super().__init__()
        self._versions()
        self._instances()
        self._configurations()
        self._datastores()
        self._flavors()
        self._limits()
        self._backups()
        self._clusters()
        self._modules()
        # Last: these only answer what no real route serves.
        not_implemented.add_routes(self, TENANT)

    def _routes(self, controller, routes):
        resource = wsgi.Resource(controller)
        for method, path, action in routes:
            self.connect(TENANT + path if path != '/' else path, resource,
                         action, [method])

    def _versions(self):
        self._routes(version_controller.VersionController(), [
            ('GET', '/', 'show'),
        ])

    def _instances(self):
        self._routes(instance_service.InstanceController(), [
            ('GET', '/instances', 'index'),
            ('GET', '/instances/detail', 'detail'),
            ('POST', '/instances', 'create'),
            ('GET', '/instances/{id}', 'show'),
            ('PUT', '/instances/{id}', 'update'),
            ('PATCH', '/instances/{id}', 'edit'),
            ('DELETE', '/instances/{id}', 'delete'),
            ('POST', '/instances/{id}/action', 'action'),
        ])
        self._routes(guest_logs.GuestLogController(), [
            ('GET', '/instances/{id}/log', 'index'),
            ('POST', '/instances/{id}/log', 'action'),
        ])
        self._routes(tls_service.TlsController(), [
            ('GET', '/instances/{id}/ssl', 'show'),
            ('POST', '/instances/{id}/ssl', 'action'),
        ])
        self._routes(configuration_service.InstanceConfigurationController(), [
            ('GET', '/instances/{id}/configuration', 'show'),
        ])
        self._routes(instance_events.InstanceEventsController(), [
            ('GET', '/instances/{id}/events', 'index'),
        ])

    def _configurations(self):
        self._routes(configuration_service.ConfigurationsController(), [
            ('GET', '/configurations', 'index'),
            ('POST', '/configurations', 'create'),
            ('GET', '/configurations/{id}', 'show'),
            ('PUT', '/configurations/{id}', 'update'),
            ('PATCH', '/configurations/{id}', 'edit'),
            ('DELETE', '/configurations/{id}', 'delete'),
            ('GET', '/configurations/{id}/instances', 'instances'),
        ])

    def _datastores(self):
        self._routes(datastore_service.DatastoreController(), [
            ('GET', '/datastores', 'index'),
            ('GET', '/datastores/versions/{uuid}', 'version_show_by_uuid'),
            ('GET', '/datastores/{id}', 'show'),
            ('GET', '/datastores/{datastore}/versions', 'version_index'),
            ('GET', '/datastores/{datastore}/versions/{id}', 'version_show'),
            ('DELETE', '/datastores/{id}', 'delete'),
            ('GET', '/datastores/{datastore}/versions/{version_id}/flavors',
             'list_associated_flavors'),
            ('GET', '/datastores/{datastore}/versions/{version_id}'
                    '/volume-types', 'list_associated_volume_types'),
        ])
        self._routes(datastore_service.VolumeTypesController(), [
            ('GET', '/volume-types', 'index'),
            ('GET', '/volume-types/{id}', 'show'),
        ])
        self._routes(datastore_service.ParametersController(), [
            ('GET', '/datastores/versions/{version}/parameters',
             'index_by_version'),
            ('GET', '/datastores/versions/{version}/parameters/{name}',
             'show_by_version'),
            ('GET', '/datastores/{datastore}/versions/{version_id}/parameters',
             'index'),
            ('GET', '/datastores/{datastore}/versions/{version_id}/parameters'
                    '/{name}', 'show'),
        ])

    def _flavors(self):
        self._routes(flavor_service.FlavorController(), [
            ('GET', '/flavors', 'index'),
            ('GET', '/flavors/{id}', 'show'),
        ])

    def _limits(self):
        self._routes(limits_service.LimitsController(), [
            ('GET', '/limits', 'index'),
        ])

    def _backups(self):
        self._routes(backup_service.BackupController(), [
            ('GET', '/backups', 'index'),
            ('POST', '/backups', 'create'),
            ('GET', '/backups/{id}', 'show'),
            ('DELETE', '/backups/{id}', 'delete'),
            ('POST', '/backups/{id}/drill', 'drill'),
            ('GET', '/instances/{instance_id}/backups', 'instance_index'),
        ])
        self._routes(schedule_service.BackupScheduleController(), [
            ('GET', '/instances/{id}/backup_schedules', 'index'),
            ('POST', '/instances/{id}/backup_schedules', 'create'),
            ('GET', '/instances/{id}/backup_schedules/{schedule_id}', 'show'),
            ('DELETE', '/instances/{id}/backup_schedules/{schedule_id}',
             'delete'),
        ])
        self._routes(backup_service.BackupStrategyController(), [
            ('GET', '/backup_strategies', 'index'),
            ('POST', '/backup_strategies', 'create'),
            ('DELETE', '/backup_strategies', 'delete'),
        ])

    def _clusters(self):
        self._routes(cluster_service.ClusterController(), [
            ('GET', '/clusters', 'index'),
            ('POST', '/clusters', 'create'),
            ('GET', '/clusters/{id}', 'show'),
            ('POST', '/clusters/{id}', 'action'),
            ('DELETE', '/clusters/{id}', 'delete'),
            ('GET', '/clusters/{cluster_id}/instances/{instance_id}',
             'show_instance'),
        ])

    def _modules(self):
        self._routes(module_service.ModuleController(), [
            ('GET', '/modules', 'index'),
            ('POST', '/modules', 'create'),
            ('GET', '/modules/{id}', 'show'),
            ('PUT', '/modules/{id}', 'update'),
            ('DELETE', '/modules/{id}', 'delete'),
            ('GET', '/modules/{id}/instances', 'instances'),
            ('PUT', '/modules/{id}/instances', 'reapply'),
        ])
        self._routes(module_service.InstanceModuleController(), [
            ('GET', '/instances/{id}/modules', 'index'),
            ('POST', '/instances/{id}/modules', 'apply'),
            ('DELETE', '/instances/{id}/modules/{module_id}', 'remove'),
        ])


def app_factory(global_config, **local_config):
    return API()
