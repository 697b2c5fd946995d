"""API controller of ``/mgmt/quotas/{project_id}``.

A project may read its own quotas and usage; reading another project's,
and changing any, is for administrators (403 otherwise).
"""

from trove.common import policy
from trove.common import exception
from trove.common import wsgi
from trove.common.schemas import mgmt as schemas
from trove.quota import quota
from trove.quota import views


class QuotaController(wsgi.Controller):

    schemas = {'update': schemas.quota_update}

    def show(self, req, tenant_id, id):
        context = req.context
        if id != context.project_id and not context.is_admin:
            raise exception.Forbidden(
                'Only an administrator can see the quotas of another '
                'project.')
        return views.usage_view(quota.get_limits(context, id),
                                quota.get_usages(context, id))

    def update(self, req, tenant_id, id, body):
        context = req.context
        policy.require_admin(context)
        requested = body['quotas']
        # Unknown names are refused even when their value is null.
        quota.check_resources(requested)
        changes = {name: limit for name, limit in requested.items()
                   if limit is not None}
        limits = quota.set_limits(context, id, changes)
        return views.update_view({name: limits[name] for name in changes})
