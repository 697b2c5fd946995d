"""API controller of ``/mgmt/instances`` (admin only)."""

from oslo_utils import strutils

from trove.common import exception
from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import instance as schemas
from trove.extensions.mgmt.instances import models, views
from trove.instance import models as instance_models

# Action key -> what it does; upstream's MgmtInstanceController.action.
ACTIONS = ('stop', 'reboot', 'migrate', 'rebuild', 'reset-task-status')


def _deleted_filter(req):
    """``deleted=true`` only deleted, ``false`` only live, absent both."""
    value = req.GET.get('deleted')
    if value is None or value == '':
        return None
    return strutils.bool_from_string(value, strict=False)


class MgmtInstanceController(wsgi.Controller):

    def get_schema(self, action, body):
        if action != 'action' or not isinstance(body, dict):
            return None
        return schemas.mgmt_action.get(next(iter(body), None))

    def index(self, req, tenant_id):
        context = req.context
        policy.require_admin(context)
        include_clustered = strutils.bool_from_string(
            req.GET.get('include_clustered', 'false'))
        instances = models.list_instances(
            context, deleted=_deleted_filter(req),
            project_id=req.GET.get('project_id') or None,
            include_clustered=include_clustered)
        return {'instances': [
            views.mgmt_instance_view(req, instance,
                                     models.server_of(context, instance))
            for instance in instances]}

    def show(self, req, tenant_id, id):
        context = req.context
        policy.require_admin(context)
        instance = models.load(context, id)
        return {'instance': views.mgmt_instance_detail_view(
            req, instance, server=models.server_of(context, instance),
            volume=models.volume_of(context, instance),
            usage=instance_models.guest_volume_info(context, instance),
            root=models.root_enabled(context, instance))}

    def action(self, req, tenant_id, id, body):
        context = req.context
        policy.require_admin(context)
        if not isinstance(body, dict) or len(body) != 1 \
                or next(iter(body)) not in ACTIONS:
            raise exception.BadRequest(
                'Invalid request body: exactly one of %s is expected.'
                % ', '.join(ACTIONS))
        key, value = next(iter(body.items()))
        instance = models.load(context, id, include_deleted=False)
        if key == 'stop':
            models.stop(context, instance)
        elif key == 'reboot':
            models.reboot(context, instance)
        elif key == 'migrate':
            models.migrate(context, instance, (value or {}).get('host'))
        elif key == 'rebuild':
            models.rebuild(context, instance, value['image_id'])
        else:
            models.reset_task_status(context, instance)
        return wsgi.Result(None, 202)

    def diagnostics(self, req, tenant_id, id):
        policy.require_admin(req.context)
        instance = models.load(req.context, id, include_deleted=False)
        return views.diagnostics_view(models.diagnostics(req.context, instance))

    def hwinfo(self, req, tenant_id, id):
        policy.require_admin(req.context)
        instance = models.load(req.context, id, include_deleted=False)
        return views.hwinfo_view(models.hwinfo(req.context, instance))

    def rpc_ping(self, req, tenant_id, id):
        policy.require_admin(req.context)
        instance = models.load(req.context, id, include_deleted=False)
        models.rpc_ping(req.context, instance)
        return wsgi.Result(None, 204)
