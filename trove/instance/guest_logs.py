"""API controller of an instance's guest logs (``/instances/{id}/log``).

The guest answers (a call): the list of its logs and what an action did.
A user sees and acts on the logs ``[<datastore>] guest_log_exposed_logs``
names only (others: 403); an administrator on all of them.
"""

from trove.common import exception
from trove.common import policy
from trove.common import states
from trove.common import wsgi
from trove.common.schemas import instance as schemas
from trove.conf import CONF
from trove.guestagent import api as guest_api
from trove.instance import models

ACTIONS = ('enable', 'disable', 'publish', 'discard')


def _exposed(context, instance):
    if context.is_admin:
        return None
    manager = instance.manager
    return set(CONF.get(manager).guest_log_exposed_logs) \
        if manager in CONF else set()


def _guest(context, instance):
    if instance.service_status not in \
            states.ACTION_ALLOWED_SERVICE_STATUSES \
            or instance.status in states.AGENT_INVALID_STATUSES:
        raise exception.InstanceNotActionable(
            instance_id=instance.id, kind='instance', status=instance.status)
    return guest_api.API(context, instance.id)


class GuestLogController(wsgi.Controller):

    schemas = {'action': schemas.guest_log_action}

    def index(self, req, tenant_id, id):
        context = req.context
        instance = models.load(context, id)
        policy.authorize_on_target(context, 'instance:guest_log_list',
                                   {'tenant': instance.tenant_id})
        exposed = _exposed(context, instance)
        logs = _guest(context, instance).guest_log_list()
        return {'logs': [log for log in logs
                         if exposed is None or log['name'] in exposed]}

    def action(self, req, tenant_id, id, body):
        context = req.context
        instance = models.load(context, id)
        policy.authorize_on_target(context, 'instance:guest_log_action',
                                   {'tenant': instance.tenant_id})
        if body.get('enable') and body.get('disable'):
            raise exception.BadRequest('A log cannot be enabled and '
                                       'disabled at once.')
        name = body['name']
        exposed = _exposed(context, instance)
        if exposed is not None and name not in exposed:
            asked = [key for key in ACTIONS if body.get(key)] or ['show']
            raise exception.LogAccessForbidden(action=asked[0], log=name)
        flags = {key: bool(body.get(key)) for key in ACTIONS}
        log = _guest(context, instance).guest_log_action(name, **flags)
        return {'log': log}
