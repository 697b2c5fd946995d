"""API controller of ``GET /limits``: quota limits and request rates."""

from trove.common import policy
from trove.common import wsgi
from trove.limits import views
from trove.quota import quota


class LimitsController(wsgi.Controller):

    def index(self, req, tenant_id):
        context = req.context
        policy.authorize_on_tenant(context, 'limits:index')
        absolute = quota.get_limits(context, tenant_id)
        rates = req.environ.get('trove.limits', [])
        return {'limits': views.limits_view(absolute, rates)}
