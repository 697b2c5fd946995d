"""API controllers of datastores, versions and their parameters."""

from trove.common import policy, wsgi
from trove.datastore import models, parameters, views


class DatastoreController(wsgi.Controller):

    def index(self, req, tenant_id):
        context = req.context
        policy.authorize_on_tenant(context, 'datastore:index')
        datastores = models.list_datastores(
            context, include_inactive=context.is_admin)
        return {'datastores': [views.datastore_view(req, ds, versions)
                               for ds, versions in datastores]}

    def show(self, req, tenant_id, id):
        context = req.context
        policy.authorize_on_tenant(context, 'datastore:show')
        datastore, versions = models.get_datastore(
            context, id, include_inactive=context.is_admin)
        return {'datastore': views.datastore_view(req, datastore, versions)}

    def version_index(self, req, tenant_id, datastore):
        context = req.context
        policy.authorize_on_tenant(context, 'datastore:version_index')
        _datastore, versions = models.get_datastore(
            context, datastore, include_inactive=context.is_admin)
        return {'versions': [views.version_view(req, v) for v in versions]}

    def version_show(self, req, tenant_id, datastore, id):
        context = req.context
        policy.authorize_on_tenant(context, 'datastore:version_show')
        version = self._version(context, datastore, id)
        return {'version': views.version_view(req, version)}

    def version_show_by_uuid(self, req, tenant_id, uuid):
        context = req.context
        policy.authorize_on_tenant(context, 'datastore:version_show_by_uuid')
        version = models.get_version_by_uuid(
            context, uuid, include_inactive=context.is_admin)
        return {'version': views.version_view(req, version)}

    @staticmethod
    def _version(context, datastore, version):
        ds, _versions = models.get_datastore(
            context, datastore, include_inactive=context.is_admin)
        return models.get_version(context, ds, version,
                                  include_inactive=context.is_admin)


class ParametersController(wsgi.Controller):
    """Configuration parameters a datastore version accepts."""

    def index(self, req, tenant_id, datastore, version_id):
        policy.authorize_on_tenant(req.context,
                                   'configuration-parameter:index')
        version = DatastoreController._version(req.context, datastore,
                                               version_id)
        return self._list(req, version.id)

    def show(self, req, tenant_id, datastore, version_id, name):
        policy.authorize_on_tenant(req.context,
                                   'configuration-parameter:show')
        version = DatastoreController._version(req.context, datastore,
                                               version_id)
        return views.parameter_view(
            parameters.get_parameter(req.context, version.id, name))

    def index_by_version(self, req, tenant_id, version):
        policy.authorize_on_tenant(req.context,
                                   'configuration-parameter:index_by_version')
        found = models.get_version_by_uuid(
            req.context, version, include_inactive=req.context.is_admin)
        return self._list(req, found.id)

    def show_by_version(self, req, tenant_id, version, name):
        policy.authorize_on_tenant(req.context,
                                   'configuration-parameter:show_by_version')
        found = models.get_version_by_uuid(
            req.context, version, include_inactive=req.context.is_admin)
        return views.parameter_view(
            parameters.get_parameter(req.context, found.id, name))

    @staticmethod
    def _list(req, version_id):
        params = parameters.list_parameters(req.context, version_id)
        return {'configuration-parameters': [views.parameter_view(p)
                                             for p in params]}
