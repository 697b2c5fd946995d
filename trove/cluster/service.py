"""API controllers of clusters: ``/clusters`` and ``/mgmt/clusters``."""

from oslo_utils import strutils

from trove.cluster import models, requests, views
from trove.common import exception, pagination, policy, wsgi
from trove.common.schemas import cluster as schemas
from trove.conf import CONF

# Action key -> (policy rule, schema). Upstream's rule names.
ACTIONS = {
    'grow': ('cluster:grow', schemas.action_grow),
    'shrink': ('cluster:shrink', schemas.action_shrink),
    'reset-status': ('cluster:reset-status',
                     schemas.action_object['reset-status']),
    'restart': ('cluster:restart', schemas.action_object['restart']),
    'upgrade': ('cluster:upgrade', schemas.action_upgrade),
    'configuration_attach': ('cluster:configuration_attach',
                             schemas.action_configuration_attach),
    'configuration_detach': ('cluster:configuration_detach',
                             schemas.action_object['configuration_detach']),
    'add_shard': ('cluster:add_shard', schemas.action_object['add_shard']),
}


def _action_key(body):
    """The one action a body asks for (400 if none or several)."""
    if not isinstance(body, dict) or not body:
        raise exception.BadRequest('Invalid request body.')
    known = [key for key in body if key in ACTIONS]
    if not known:
        raise exception.BadRequest(
            'No action specified; expected one of %s.'
            % ', '.join(sorted(ACTIONS)))
    if len(known) > 1 or len(body) > 1:
        raise exception.BadRequest('Only one action may be requested at a '
                                   'time, got %s.' % ', '.join(sorted(body)))
    return known[0]


class ClusterController(wsgi.Controller):

    schemas = {'create': schemas.create}

    def get_schema(self, action, body):
        if action == 'action':
            return ACTIONS[_action_key(body)][1]
        return self.schemas.get(action)

    def index(self, req, tenant_id):
        context = req.context
        policy.authorize_on_tenant(context, 'cluster:index')
        limit = pagination.page_limit(context, CONF.clusters_page_size)
        clusters = models.list_page(context, limit, marker=context.marker,
                                    project_id=tenant_id)
        items = [views.cluster_view(req, cluster) for cluster in clusters]
        return pagination.paginated(req, 'clusters', items, limit,
                                    lambda i: clusters[i].id)

    def show(self, req, tenant_id, id):
        cluster = self._load(req, id, 'cluster:show')
        return {'cluster': views.cluster_view(req, cluster)}

    def show_instance(self, req, tenant_id, cluster_id, instance_id):
        cluster = self._load(req, cluster_id, 'cluster:show_instance')
        member = cluster.member(instance_id)
        return {'instance': views.member_detail_view(req, member)}

    def create(self, req, tenant_id, body):
        context = req.context
        policy.authorize_on_tenant(context, 'cluster:create')
        cluster = requests.create(context, body['cluster'])
        return {'cluster': views.cluster_view(req, cluster)}

    def delete(self, req, tenant_id, id):
        cluster = self._load(req, id, 'cluster:delete')
        requests.delete(req.context, cluster)
        return wsgi.Result(None, 202)

    def action(self, req, tenant_id, id, body):
        context = req.context
        key = _action_key(body)
        cluster = self._load(req, id, ACTIONS[key][0])
        if key == 'grow':
            requests.grow(context, cluster, body['grow'])
        elif key == 'shrink':
            requests.shrink(context, cluster,
                            [item['id'] for item in body['shrink']])
        elif key == 'reset-status':
            requests.reset_status(context, cluster)
        elif key == 'restart':
            requests.restart(context, cluster)
        elif key == 'upgrade':
            requests.upgrade(context, cluster,
                             body['upgrade']['datastore_version'])
        elif key == 'configuration_attach':
            requests.configuration_attach(
                context, cluster,
                body['configuration_attach']['configuration_id'])
        elif key == 'configuration_detach':
            requests.configuration_detach(context, cluster)
        else:
            raise exception.ClusterActionNotSupported(
                action=key, datastore=cluster.datastore_version.datastore.name)
        cluster = models.load(context, cluster.id)
        return wsgi.Result({'cluster': views.cluster_view(req, cluster)},
                           202)

    def _load(self, req, cluster_id, rule):
        context = req.context
        cluster = models.load(context, cluster_id)
        policy.authorize_on_target(context, rule,
                                   {'tenant': cluster.tenant_id})
        return cluster


class MgmtClusterController(wsgi.Controller):
    """``/mgmt/clusters``: every project's clusters, deleted ones on
    request; ``reset-task``."""

    schemas = {'action': schemas.mgmt_action}

    def index(self, req, tenant_id):
        context = req.context
        policy.require_admin(context)
        deleted = strutils.bool_from_string(req.GET.get('deleted', 'false'))
        limit = pagination.page_limit(context, CONF.clusters_page_size)
        clusters = models.list_page(context, limit, marker=context.marker,
                                    include_deleted=deleted,
                                    all_projects=True)
        items = [views.cluster_view(req, cluster) for cluster in clusters]
        return pagination.paginated(req, 'clusters', items, limit,
                                    lambda i: clusters[i].id)

    def show(self, req, tenant_id, id):
        context = req.context
        policy.require_admin(context)
        cluster = models.load(context, id, include_deleted=True)
        return {'cluster': views.cluster_view(req, cluster)}

    def action(self, req, tenant_id, id, body):
        context = req.context
        policy.require_admin(context)
        cluster = models.load(context, id)
        requests.reset_task(context, cluster)
        return wsgi.Result(None, 202)
