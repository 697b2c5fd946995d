"""API controller of ``/mgmt/datastore-versions`` (admin only)."""

from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import mgmt as schemas
from trove.conf import CONF
from trove.extensions.mgmt.datastores import models, views


def _image_required():
    """Only Nova servers boot from an image; local instances need none."""
    return CONF.compute_provider == 'openstack'


class DatastoreVersionController(wsgi.Controller):

    schemas = {'create': schemas.datastore_version_create,
               'edit': schemas.datastore_version_edit}

    def index(self, req, tenant_id):
        policy.require_admin(req.context)
        versions = models.list_versions(req.context)
        return {'versions': [views.version_view(v) for v in versions]}

    def show(self, req, tenant_id, id):
        policy.require_admin(req.context)
        return {'version': views.version_view(
            models.get_version(req.context, id))}

    def create(self, req, tenant_id, body):
        policy.require_admin(req.context)
        values = body['version']
        models.create_version(
            req.context, values['name'], values['datastore_name'],
            values['datastore_manager'], values['active'],
            image_id=values.get('image'), image_tags=values.get('image_tags'),
            packages=values.get('packages'),
            registry_ext=values.get('registry_ext'),
            repl_strategy=values.get('repl_strategy'),
            default=values.get('default', False),
            version=values.get('version'),
            image_required=_image_required())
        return wsgi.Result(None, 202)

    def edit(self, req, tenant_id, id, body):
        policy.require_admin(req.context)
        models.edit_version(req.context, id, body,
                            image_required=_image_required())
        return wsgi.Result(None, 202)

    def delete(self, req, tenant_id, id):
        policy.require_admin(req.context)
        models.delete_version(req.context, id)
        return wsgi.Result(None, 202)
