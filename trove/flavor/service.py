"""API controller of flavors (read only; operators manage them)."""

from trove.common import policy
from trove.common import wsgi
from trove.flavor import models
from trove.flavor import views


class FlavorController(wsgi.Controller):

    def index(self, req, tenant_id):
        policy.authorize_on_tenant(req.context, 'flavor:index')
        flavors = models.list_flavors(req.context)
        return {'flavors': [views.flavor_view(req, f) for f in flavors]}

    def show(self, req, tenant_id, id):
        policy.authorize_on_tenant(req.context, 'flavor:show')
        flavor = models.get_flavor(req.context, id)
        return {'flavor': views.flavor_view(req, flavor)}
