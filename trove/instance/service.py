"""API controller of instances: list, show, create, update, delete, act."""

from oslo_utils import strutils

from trove.common import exception
from trove.common import pagination
from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import instance as schemas
from trove.conf import CONF
from trove.instance import actions
from trove.instance import create as instance_create
from trove.instance import failover_settings
from trove.instance import models
from trove.instance import pitr
from trove.instance import plans
from trove.instance import replication
from trove.instance import upgrade
from trove.instance import views
from trove.records import progress
from trove.records import work_claims as claims

# Action key -> (policy rule, schema); resize depends on what is resized.
ACTIONS = {
    'restart': ('instance:restart', schemas.action_restart),
    'reset_status': ('instance:reset_status', schemas.action_reset_status),
    'promote_to_replica_source': ('instance:promote_to_replica_source',
                                  schemas.action_promote),
    'eject_replica_source': ('instance:eject_replica_source',
                             schemas.action_eject),
}


# Actions answering a plan to "dry_run": true (resize is handled apart).
DRY_RUNS = {'restart': plans.restart,
            'promote_to_replica_source': plans.promote}


def _update_plan(context, instance, data):
    """The plan of a PUT/PATCH: attaching a configuration group or
    upgrading the datastore version."""
    if data.get('datastore_version'):
        return plans.upgrade(context, instance, data['datastore_version'])
    if not data.get('configuration'):
        raise exception.BadRequest('A dry run of an instance update plans '
                                   'the attachment of a "configuration" or '
                                   'a "datastore_version" upgrade.')
    return plans.attach_configuration(context, instance,
                                      data['configuration'])


def _resize_kind(body):
    resize = body.get('resize') if isinstance(body, dict) else None
    if isinstance(resize, dict) and 'volume' in resize:
        return 'volume'
    return 'flavor'


class InstanceController(wsgi.Controller):

    schemas = {'create': schemas.create, 'update': schemas.update,
               'edit': schemas.edit}

    def get_schema(self, action, body):
        if action != 'action':
            return self.schemas.get(action)
        key = _action_key(body)
        if key == 'resize':
            return (schemas.action_resize_volume
                    if _resize_kind(body) == 'volume'
                    else schemas.action_resize_flavor)
        return ACTIONS[key][1]

    # Reads ------------------------------------------------------------------
    def index(self, req, tenant_id):
        return self._list(req, tenant_id, detail=False)

    def detail(self, req, tenant_id):
        return self._list(req, tenant_id, detail=True)

    def _list(self, req, tenant_id, detail):
        context = req.context
        policy.authorize_on_tenant(
            context, 'instance:detail' if detail else 'instance:index')
        limit = pagination.page_limit(context, CONF.instances_page_size)
        include_clustered = strutils.bool_from_string(
            req.GET.get('include_clustered', 'false'))
        all_projects = strutils.bool_from_string(
            req.GET.get('all_projects', 'false'))
        if all_projects:
            policy.authorize_on_tenant(context, 'instance:index:all_projects')
        instances = models.list_page(
            context, limit, marker=context.marker, detail=detail,
            include_clustered=include_clustered, project_id=tenant_id,
            all_projects=all_projects)
        view = (views.instance_detail_view if detail
                else views.instance_view)
        items = [view(req, instance) for instance in instances]
        return pagination.paginated(req, 'instances', items, limit,
                                    lambda i: instances[i].id)

    def show(self, req, tenant_id, id):
        context = req.context
        # The instance and what the view shows beside it, in one read.
        instance, shown = models.load_shown(context, id)
        policy.authorize_on_target(context, 'instance:show',
                                   {'tenant': instance.tenant_id})
        instance.replica_ids = replication.replica_ids(context, instance.id)
        view = views.instance_detail_view(
            req, instance,
            volume_info=models.guest_volume_info(context, instance))
        # Point-in-time recovery: what this instance can be restored to
        # (nothing without an archived log: no backups need reading),
        # and (if it was made so) the time it was restored to.
        view['restorable_window'] = (
            pitr.window(context, instance.id) if shown.has_archives
            else pitr.window_of([], []))
        restored = pitr.restore_view_of(shown.restore)
        if restored is not None:
            view['restored_to'] = restored
        progress = _progress_of(
            claims.Claim.from_row(shown.work) if shown.work is not None
            else None)
        if progress is not None:
            view['progress'] = progress
        return {'instance': view}

    # Writes -----------------------------------------------------------------
    def create(self, req, tenant_id, body):
        context = req.context
        policy.authorize_on_tenant(context, 'instance:create')
        instance, root_password = instance_create.create(context, body)
        return {'instance': views.instance_detail_view(
            req, instance, root_password=root_password)}

    def update(self, req, tenant_id, id, body):
        return self._update(req, id, body, 'instance:update')

    def edit(self, req, tenant_id, id, body):
        return self._update(req, id, body, 'instance:edit')

    def _update(self, req, id, body, rule):
        context = req.context
        instance = models.load(context, id)
        policy.authorize_on_target(context, rule,
                                   {'tenant': instance.tenant_id})
        data = body['instance']
        if plans.is_dry_run(data):
            return _update_plan(context, instance, data)
        if 'replica_of' in data or 'slave_of' in data:
            # The key detaches, whatever its value (null from the
            # clients, "" from tempest), as upstream.
            failover_settings.check_leaving(context, instance, 'detached')
            replication.detach(context, instance)
        elif failover_settings.requested(data):
            failover_settings.update(context, instance, data)
        elif 'datastore_version' in data:
            actions.check_single_change(data)
            upgrade.upgrade(context, instance, data['datastore_version'])
            if 'name' in data:
                actions.update(context, instance, {'name': data['name']})
        else:
            actions.update(context, instance, data)
        return wsgi.Result(None, 202)

    def delete(self, req, tenant_id, id):
        context = req.context
        instance = models.load(context, id)
        policy.authorize_on_target(context, 'instance:delete',
                                   {'tenant': instance.tenant_id})
        _not_a_cluster_member(instance)
        replication.check_delete(context, instance)
        failover_settings.check_leaving(context, instance, 'deleted')
        actions.delete(context, instance)
        return wsgi.Result(None, 202)

    def action(self, req, tenant_id, id, body):
        context = req.context
        key = _action_key(body)
        instance = models.load(context, id)
        dry_run = plans.is_dry_run(body[key])
        if key == 'resize':
            _not_a_cluster_member(instance)
            kind = _resize_kind(body)
            policy.authorize_on_target(context, 'instance:resize_' + kind,
                                       {'tenant': instance.tenant_id})
            if dry_run and kind == 'volume':
                return plans.resize_volume(context, instance,
                                           body['resize']['volume']['size'])
            if dry_run:
                return plans.resize_flavor(context, instance,
                                           body['resize']['flavorRef'])
            if kind == 'volume':
                actions.resize_volume(context, instance,
                                      body['resize']['volume']['size'])
            else:
                actions.resize_flavor(context, instance,
                                      body['resize']['flavorRef'])
            return wsgi.Result(None, 202)
        policy.authorize_on_target(context, ACTIONS[key][0],
                                   {'tenant': instance.tenant_id})
        if dry_run and key in DRY_RUNS:
            return DRY_RUNS[key](context, instance)
        if dry_run:
            raise exception.BadRequest('The %s action has no dry run.' % key)
        if key == 'restart':
            actions.restart(context, instance)
        elif key == 'reset_status':
            actions.reset_status(context, instance)
        elif key == 'promote_to_replica_source':
            replication.promote(context, instance)
        else:
            replication.eject(context, instance)
        return wsgi.Result(None, 202)


def _not_a_cluster_member(instance):
    """Resizing or deleting one member would break its cluster: upstream
    answers 501 (the cluster's shrink removes members)."""
    if instance.row.cluster_id:
        raise exception.ClusterInstanceOperationNotSupported()


def _action_key(body):
    """The one action a body asks for (400 if none or several)."""
    if not isinstance(body, dict) or not body:
        raise exception.BadRequest('Invalid request body.')
    known = [key for key in body if key in ACTIONS or key == 'resize']
    if not known:
        raise exception.BadRequest(
            'Unknown instance action %s; expected one of %s.'
            % (', '.join(sorted(body)), ', '.join(sorted(
                list(ACTIONS) + ['resize']))))
    if len(known) > 1:
        raise exception.BadRequest('Only one action may be requested at a '
                                   'time, got %s.' % ', '.join(known))
    return known[0]


def _progress_of(work):
    """The operation under way (an extension key the stock clients
    ignore): its flow, the last step that finished and the share of its
    steps done, from the work due (a Claim); None when none is due."""
    if work is None:
        return None
    shown = {'operation': work.flow,
             'step': work.state.get('progress_step'),
             'percent': work.state.get('progress_percent', 0)}
    # A restore the guest reports while the flow waits for it: bytes
    # written and, when the backup's size is known, percent and ETA.
    restore = work.state.get(progress.RESTORE_KEY)
    if restore:
        shown['restore'] = restore
    return shown
