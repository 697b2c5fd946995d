"""API controllers of ``/modules`` and ``/instances/{id}/modules``."""

from oslo_utils import strutils

from trove.common import exception, policy, states, wsgi
from trove.common import views as common_views
from trove.common.schemas import module as schemas
from trove.guestagent import api as guest_api
from trove.instance import models as instance_models
from trove.instance import views as instance_views
from trove.module import instance_modules, models, views


def _flag(req, name):
    return strutils.bool_from_string(req.GET.get(name, 'false'))


class ModuleController(wsgi.Controller):

    schemas = {'create': schemas.create, 'update': schemas.update,
               'reapply': schemas.reapply}

    def index(self, req, tenant_id):
        context = req.context
        policy.authorize_on_tenant(context, 'module:index')
        names = views.datastore_names(context)
        return {'modules': [views.module_view(m, names) for m in
                            models.list_modules(context,
                                                req.GET.get('datastore'))]}

    def create(self, req, tenant_id, body):
        context = req.context
        policy.authorize_on_tenant(context, 'module:create')
        module = models.create(context, body['module'])
        return {'module': views.module_view(
            module, views.datastore_names(context),
            live_update=module.live_update)}

    def show(self, req, tenant_id, id):
        context = req.context
        policy.authorize_on_tenant(context, 'module:show')
        module = models.get(context, id)
        return {'module': views.module_view(
            module, views.datastore_names(context),
            instance_count=models.instance_count(context, module.id))}

    def update(self, req, tenant_id, id, body):
        context = req.context
        policy.authorize_on_tenant(context, 'module:update')
        module = models.update(context, id, body['module'])
        return {'module': views.module_view(
            module, views.datastore_names(context),
            live_update=module.live_update)}

    def delete(self, req, tenant_id, id):
        policy.authorize_on_tenant(req.context, 'module:delete')
        models.delete(req.context, id)
        return wsgi.Result(None, 200)

    def instances(self, req, tenant_id, id):
        context = req.context
        policy.authorize_on_tenant(context, 'module:instances')
        module = models.get(context, id)
        applied = models.applied_instances(context, module.id)
        if not context.is_admin:
            applied = [(i, r) for i, r in applied
                       if i.tenant_id == context.project_id]
        if _flag(req, 'count_only'):
            current = [r for _i, r in applied if r.md5 == module.md5]
            return {'instances': [{
                'module_id': module.id, 'module_name': module.name,
                'module_md5': module.md5, 'instance_count': len(applied),
                'current': len(current) == len(applied),
                'min_updated_date': min((common_views.isotime(r.updated)
                                         for _i, r in applied), default=None),
                'max_updated_date': max((common_views.isotime(r.updated)
                                         for _i, r in applied), default=None),
            }] if applied else []}
        # Upstream answers instance views (the CLI prints them as such).
        return {'instances': [
            instance_views.instance_view(
                req, instance_models.load(context, i.id,
                                          include_deleted=True))
            for i, _r in applied]}

    def reapply(self, req, tenant_id, id, body):
        """Apply the module's current contents again, instance by
        instance (only the outdated ones unless ``force``)."""
        context = req.context
        policy.authorize_on_tenant(context, 'module:reapply')
        module = models.get(context, id)
        options = body['reapply']
        payload = instance_modules.payload(module,
                                           views.datastore_names(context))
        for instance, row in models.applied_instances(context, module.id):
            if row.md5 == module.md5 and not options.get('force'):
                continue
            guest_api.API(context, instance.id).module_apply([payload])
            instance_modules.record(context, instance.id, [module])
        return wsgi.Result(None, 202)


def _instance(context, id, rule):
    instance = instance_models.load(context, id)
    policy.authorize_on_target(context, rule, {'tenant': instance.tenant_id})
    return instance


def _guest(instance):
    if instance.service_status not in \
            states.ACTION_ALLOWED_SERVICE_STATUSES:
        raise exception.InstanceNotActionable(
            instance_id=instance.id, kind='instance', status=instance.status)


class InstanceModuleController(wsgi.Controller):

    schemas = {'apply': schemas.apply}

    def index(self, req, tenant_id, id):
        context = req.context
        instance = _instance(context, id, 'instance:module_list')
        if _flag(req, 'from_guest'):
            _guest(instance)
            return {'modules': guest_api.API(context, instance.id)
                    .module_list(_flag(req, 'include_contents'))}
        names = views.datastore_names(context)
        return {'modules': [views.instance_module_view(m, r, names)
                            for m, r in instance_modules.applied(
                                context, instance.id)]}

    def apply(self, req, tenant_id, id, body):
        context = req.context
        instance = _instance(context, id, 'instance:module_apply')
        _guest(instance)
        modules = instance_modules.check(context, instance.datastore_version,
                                         body['modules'], auto=False)
        names = views.datastore_names(context)
        results = guest_api.API(context, instance.id).module_apply(
            [instance_modules.payload(m, names) for m in modules])
        instance_modules.record(context, instance.id, modules)
        return {'modules': results}

    def remove(self, req, tenant_id, id, module_id):
        context = req.context
        instance = _instance(context, id, 'instance:module_remove')
        _guest(instance)
        module = models.get(context, module_id)
        guest_api.API(context, instance.id).module_remove(
            instance_modules.payload(module))
        instance_modules.forget(context, instance.id, module.id)
        return wsgi.Result(None, 200)
