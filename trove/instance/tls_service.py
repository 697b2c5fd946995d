"""API controller of TLS to an instance (``/instances/{id}/ssl``).

GET shows the TLS of the instance and the deployment authority's
certificate; POST asks for a mode (``enable`` + ``mode``) or for none
(``disable``): the mode is recorded and the instance restarts to take it
(202, its task REBOOTING until then); asking for the mode in force
answers 200 and changes nothing. With mutual TLS, POST
``client_certificate`` issues a certificate for a database user (200).
"""

from oslo_utils import strutils

from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import instance as schemas
from trove.instance import actions
from trove.instance import models
from trove.instance import replication
from trove.instance import tls
from trove.records import instance_tls


class TlsController(wsgi.Controller):

    schemas = {'action': schemas.ssl_action}

    def show(self, req, tenant_id, id):
        context = req.context
        instance = models.load(context, id)
        policy.authorize_on_target(context, 'instance:ssl_show',
                                   {'tenant': instance.tenant_id})
        include = strutils.bool_from_string(
            req.GET.get('include_certificate', 'false'))
        return {'ssl': tls.view(instance_tls.state_of(instance.row),
                                include_certificate=include)}

    def action(self, req, tenant_id, id, body):
        context = req.context
        instance = models.load(context, id)
        policy.authorize_on_target(context, 'instance:ssl_action',
                                   {'tenant': instance.tenant_id})
        ssl = body['ssl']
        state = instance_tls.state_of(instance.row)
        mode = tls.check_action(instance.manager, state, ssl)
        if ssl.get('client_certificate'):
            issued = tls.client_certificate(
                ssl['client_certificate']['user'])
            return {'ssl': dict(tls.view(state),
                                client_certificate=issued)}
        if mode == state.mode and not state.pending:
            # Already so: nothing to restart for.
            return {'ssl': dict(tls.view(state), restart_required=False)}
        tls.check_replication(
            instance.manager, mode, bool(instance.row.slave_of_id)
            or bool(replication.replica_ids(context, instance.id)))
        actions.validate_can_perform_action(instance)
        instance_tls.request_mode(context, instance.id, mode)
        actions.restart(context, instance)
        state = instance_tls.get(context, instance.id)
        # The restart is under way already: nothing left to the user.
        return wsgi.Result({'ssl': dict(tls.view(state),
                                        restart_required=False)}, 202)
