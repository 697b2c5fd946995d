"""The request context: who is asking, and the paging of the request.

Built by the API middleware from the authenticated headers, carried in
every RPC message, and used by the database layer as the unit of a
transaction (oslo.db enginefacade: trove.db.api gives this class its
``session``/``transaction`` attributes when it is imported, so that a
process without the control DB, the guest agent, never loads oslo.db or
SQLAlchemy).

oslo.log stamps a log line with the context stored for the thread that
writes it (``req-...``), so every thread doing a request's work stores
that request's context first: the API for each request, RPC servers for
each message (the serializer builds it), and threads started for a
request (``store_current``), so that the lines of the API, the
taskmanager's flows, the conductor and the guest agent all carry the id
the client got back. This module never stores a context by itself
except when asked to.
"""

import functools

from oslo_context import context


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


def current():
    """The context stored for this thread (None if there is none)."""
    return context.get_current()


def store_current(ctx):
    """Make ``ctx`` the context this thread's log lines carry (None:
    none, so an idle thread does not keep a finished request's id)."""
    if ctx is not None:
        ctx.update_store()
    elif context.get_current() is not None:
        # oslo.context can store a context but has no call to forget it;
        # its store is a threading.local holding one attribute.
        del context._request_store.context


def bound_to_current(function):
    """``function`` wrapped to run with the caller's current context
    stored, in whatever thread runs it (flows, parallel guest calls)."""
    ctx = current()

    @functools.wraps(function)
    def run(*args, **kwargs):
        store_current(ctx)
        try:
            return function(*args, **kwargs)
        finally:
            store_current(None)
    return run


def get_admin_context(project_id=None):
    """A context for work no user asked for (periodic tasks, manage)."""
    return TroveContext(is_admin=True, roles=['admin'],
                        project_id=project_id, overwrite=False)
