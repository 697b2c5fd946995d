"""The request context: who is asking, and the paging of the request.

Built by the API middleware from the authenticated headers, carried in
every RPC message, and used by the database layer as the unit of a
transaction (oslo.db enginefacade).
"""

from oslo_context import context
from oslo_db.sqlalchemy import enginefacade


@enginefacade.transaction_context_provider
class TroveContext(context.RequestContext):

    def __init__(self, limit=None, marker=None, service_catalog=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.limit = limit
        self.marker = marker
        self.service_catalog = service_catalog or []

    def to_dict(self):
        values = super().to_dict()
        values.update(limit=self.limit, marker=self.marker,
                      service_catalog=self.service_catalog)
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        kwargs.setdefault('limit', values.get('limit'))
        kwargs.setdefault('marker', values.get('marker'))
        kwargs.setdefault('service_catalog', values.get('service_catalog'))
        return super().from_dict(values, **kwargs)

    def elevated(self):
        """A copy of this context with admin rights, for internal work."""
        copy = TroveContext.from_dict(self.to_dict())
        copy.is_admin = True
        if 'admin' not in copy.roles:
            copy.roles = list(copy.roles) + ['admin']
        return copy


def get_admin_context(project_id=None):
    """A context for work no user asked for (periodic tasks, manage)."""
    return TroveContext(is_admin=True, roles=['admin'],
                        project_id=project_id, overwrite=False)
