"""API controllers of datastores, versions and their parameters."""

from trove import compute
from trove.common import exception, policy, wsgi
from trove.datastore import constraints, models, parameters, views
from trove.flavor import models as flavor_models
from trove.flavor import views as flavor_views


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

    def delete(self, req, tenant_id, id):
        context = req.context
        policy.authorize_on_tenant(context, 'datastore:delete')
        datastore, _versions = models.get_datastore(context, id)
        constraints.delete_datastore(context, datastore)
        return wsgi.Result(None, 202)

    def list_associated_flavors(self, req, tenant_id, datastore, version_id):
        flavors = self._allowed(
            req, datastore, version_id, constraints.FLAVOR,
            flavor_models.list_flavors(req.context), lambda f: {str(f.id)})
        return {'flavors': [flavor_views.flavor_view(req, f)
                            for f in flavors]}

    def list_associated_volume_types(self, req, tenant_id, datastore,
                                     version_id):
        return {'volume_types': self._allowed(
            req, datastore, version_id, constraints.VOLUME_TYPE,
            volume_types(req.context), lambda t: {t['id'], t['name']})}

    def _allowed(self, req, datastore, version_id, key, items, names_of):
        """The ``items`` a version may use (all, unless restricted)."""
        context = req.context
        rule = ('datastore:list_associated_flavors'
                if key == constraints.FLAVOR
                else 'datastore:list_associated_volume_types')
        policy.authorize_on_tenant(context, rule)
        version = self._version(context, datastore, version_id)
        allowed = constraints.allowed(context, version.id, key)
        return [item for item in items
                if allowed is None or names_of(item) & allowed]

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


def volume_types(context):
    """The provider's volume types, in upstream's view."""
    return [{'id': t['id'], 'name': t['name'], 'is_public': True,
             'description': t.get('description') or ''}
            for t in compute.get_provider().volumes.volume_types(context)]


class VolumeTypesController(wsgi.Controller):
    """``/volume-types``: what the provider offers (local types from
    ``[local] volume_types``, Cinder's on OpenStack)."""

    def index(self, req, tenant_id):
        policy.authorize_on_tenant(req.context, 'volume_type:index')
        return {'volume_types': volume_types(req.context)}

    def show(self, req, tenant_id, id):
        policy.authorize_on_tenant(req.context, 'volume_type:show')
        for volume_type in volume_types(req.context):
            if id in (volume_type['id'], volume_type['name']):
                return {'volume_type': volume_type}
        raise exception.NotFound(uuid=id)
