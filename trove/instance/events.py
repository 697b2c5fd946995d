"""``GET /instances/{id}/events``: the event log of an instance.

Newest first, paged with ``limit`` and ``marker`` (the id of the last
event of the previous page). Each event has its time, its kind, who
acted (a user and project, or ``system``) and a message a user can act
on; see trove.records.events for who writes what.
"""

from trove.common import exception
from trove.common import pagination
from trove.common import policy
from trove.common import views as common_views
from trove.common import wsgi
from trove.conf import CONF
from trove.instance import models
from trove.records import events


def event_view(row):
    return {'id': row.id, 'created': common_views.isotime(row.created),
            'kind': row.kind, 'actor': row.actor, 'message': row.message,
            'request_id': row.request_id}


def _marker(context):
    if context.marker in (None, ''):
        return None
    try:
        marker = int(context.marker)
    except (TypeError, ValueError):
        raise exception.BadRequest(
            'The event list marker must be an event id (an integer), got '
            '%r.' % context.marker) from None
    if marker < 1:
        raise exception.BadRequest('The event list marker must be positive.')
    return marker


class InstanceEventsController(wsgi.Controller):

    def index(self, req, tenant_id, id):
        context = req.context
        instance = models.load(context, id)
        policy.authorize_on_target(context, 'instance:events',
                                   {'tenant': instance.tenant_id})
        limit = pagination.page_limit(context,
                                      CONF.instance_events_page_size)
        rows = events.list_page(context, instance.id, limit,
                                marker=_marker(context))
        return pagination.paginated(req, 'events',
                                    [event_view(row) for row in rows], limit,
                                    lambda index: str(rows[index].id))
