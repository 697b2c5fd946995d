"""API controller of ``/mgmt/datastores/versions/{version_id}/parameters``
(admin only). Create and update answer with the bare parameter."""

from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import configuration as schemas
from trove.datastore import models as datastore_models
from trove.datastore import parameters as datastore_parameters
from trove.extensions.mgmt.configuration import models, views


def _version_id(context, version_id):
    """The id of an existing version (DatastoreVersionNotFound if none)."""
    return datastore_models.get_version_by_uuid(context, version_id).id


class ParameterController(wsgi.Controller):

    schemas = {'create': schemas.parameter, 'update': schemas.parameter}

    def index(self, req, tenant_id, version_id):
        policy.require_admin(req.context)
        params = datastore_parameters.list_parameters(
            req.context, _version_id(req.context, version_id))
        return {'configuration-parameters': [views.parameter_view(p)
                                             for p in params]}

    def show(self, req, tenant_id, version_id, name):
        policy.require_admin(req.context)
        return views.parameter_view(datastore_parameters.get_parameter(
            req.context, _version_id(req.context, version_id), name))

    def create(self, req, tenant_id, version_id, body):
        policy.require_admin(req.context)
        parameter = body['configuration-parameter']
        rule = models.rule_from_request(parameter)
        param = models.create_parameter(
            req.context, _version_id(req.context, version_id),
            parameter['name'], rule)
        return views.parameter_view(param)

    def update(self, req, tenant_id, version_id, name, body):
        """Change the rule of parameter ``name`` (a name in the body is
        ignored: parameters are not renamed)."""
        policy.require_admin(req.context)
        rule = models.rule_from_request(body['configuration-parameter'])
        param = models.update_parameter(
            req.context, _version_id(req.context, version_id), name, rule)
        return views.parameter_view(param)

    def delete(self, req, tenant_id, version_id, name):
        policy.require_admin(req.context)
        models.delete_parameter(
            req.context, _version_id(req.context, version_id), name)
        return wsgi.Result(None, 204)
