"""API controllers of the root user, and its history for administrators.

Whether root is enabled is read from ``root_enabled_history``
(``trove.records.root_history``), not asked of the guest.
"""

from trove.cluster import models as cluster_models
from trove.common import exception
from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import user as schemas
from trove.extensions.common import checks
from trove.extensions.common import views
from trove.guestagent import api as guest_api
from trove.instance import models as instance_models
from trove.records import root_history


class RootController(wsgi.Controller):

    schemas = {'create': schemas.root_create}

    def index(self, req, tenant_id, instance_id):
        context = req.context
        instance = instance_models.load(context, instance_id)
        policy.authorize_on_target(context, 'instance:extension:root:index',
                                   {'tenant': instance.tenant_id})
        history = root_history.get(context, instance.id)
        return {'rootEnabled': root_history.is_enabled(history)}

    def create(self, req, tenant_id, instance_id, body=None):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:root:create')
        password = (body or {}).get('password')
        guest = guest_api.API(context, instance.id)
        if password:
            user = guest.enable_root_with_password(password)
        else:
            user = guest.enable_root()
        root_history.record_enabled(context, instance.id)
        return {'user': {'name': user['_name'],
                         'password': user['_password']}}

    def delete(self, req, tenant_id, instance_id):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:root:delete')
        if root_history.get(context, instance.id) is None:
            raise exception.RootHistoryNotFound()
        guest_api.API(context, instance.id).disable_root()
        root_history.record_disabled(context, instance.id)
        return wsgi.Result(None, 204)


class RootHistoryController(wsgi.Controller):
    """``GET /mgmt/instances/{id}/root``: administrators only."""

    def root(self, req, tenant_id, id):
        context = req.context
        if not context.is_admin:
            raise exception.Forbidden()
        instance = instance_models.load(context, id, include_deleted=True)
        history = root_history.get(context, instance.id)
        return {'root_history': views.root_history_view(instance.id,
                                                        history)}


class ClusterRootController(wsgi.Controller):
    """``/clusters/{cluster_id}/root``: root of a Galera cluster, enabled
    on one synced member (the accounts replicate to every member) and
    recorded for each."""

    schemas = {'create': schemas.root_create}

    def _load(self, req, cluster_id, rule):
        context = req.context
        cluster = cluster_models.load(context, cluster_id)
        policy.authorize_on_target(context, rule,
                                   {'tenant': cluster.tenant_id})
        return cluster

    def index(self, req, tenant_id, cluster_id):
        cluster = self._load(req, cluster_id,
                             'instance:extension:root:index')
        enabled = any(root_history.is_enabled(
            root_history.get(req.context, member.id))
            for member in cluster.members)
        return {'rootEnabled': enabled}

    def create(self, req, tenant_id, cluster_id, body=None):
        context = req.context
        cluster = self._load(req, cluster_id,
                             'instance:extension:root:create')
        cluster.validate_available()
        synced = [member for member in cluster.members
                  if member.service_status in cluster_models.SYNCED_STATUSES]
        if not synced:
            raise exception.UnprocessableEntity(
                'No member of cluster %s is synced; root cannot be '
                'enabled now.' % cluster.id)
        password = (body or {}).get('password')
        guest = guest_api.API(context, synced[0].id)
        if password:
            user = guest.enable_root_with_password(password)
        else:
            user = guest.enable_root()
        for member in cluster.members:
            root_history.record_enabled(context, member.id)
        return {'user': {'name': user['_name'],
                         'password': user['_password']}}
