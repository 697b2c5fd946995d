"""API controllers of configuration groups (``/configurations``) and of an
instance's default configuration (``/instances/{id}/configuration``)."""

from trove.common import pagination
from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import configuration as schemas
from trove.conf import CONF
from trove.configuration import defaults
from trove.configuration import instances as configuration_instances
from trove.configuration import models
from trove.configuration import rules as parameter_rules
from trove.configuration import views
from trove.datastore import models as datastore_models
from trove.instance import models as instance_models


class ConfigurationsController(wsgi.Controller):

    schemas = {'create': schemas.create, 'update': schemas.update,
               'edit': schemas.edit}

    @staticmethod
    def _load(context, configuration_id, rule):
        group = models.load(context, configuration_id)
        policy.authorize_on_target(context, rule, {'tenant': group.tenant_id})
        return group

    def index(self, req, tenant_id):
        context = req.context
        policy.authorize_on_tenant(context, 'configuration:index')
        limit = pagination.page_limit(context, CONF.configurations_page_size)
        groups = models.list_page(context, limit, marker=context.marker)
        items = [views.configuration_view(group) for group in groups]
        return pagination.paginated(req, 'configurations', items, limit,
                                    lambda i: groups[i].id)

    def show(self, req, tenant_id, id):
        context = req.context
        group = self._load(context, id, 'configuration:show')
        rules = parameter_rules.load_rules(context,
                                           group.datastore_version_id)
        return {'configuration': views.configuration_detail_view(group,
                                                                 rules)}

    def instances(self, req, tenant_id, id):
        context = req.context
        group = self._load(context, id, 'configuration:instances')
        limit = pagination.page_limit(context, CONF.instances_page_size)
        rows = models.instances_page(context, group.id, limit,
                                     marker=context.marker)
        items = [views.instance_view(row_id, name) for row_id, name in rows]
        return pagination.paginated(req, 'instances', items, limit,
                                    lambda i: rows[i][0])

    def create(self, req, tenant_id, body):
        context = req.context
        policy.authorize_on_tenant(context, 'configuration:create')
        data = body['configuration']
        datastore = data.get('datastore') or {}
        version = datastore_models.resolve(
            context, datastore.get('type'), datastore.get('version'),
            datastore.get('version_number'))
        rules = parameter_rules.load_rules(context, version.id)
        values = parameter_rules.validate(
            rules, data['values'],
            '%s %s' % (version.datastore.name, version.name))
        group = models.create(context, data['name'],
                              data.get('description'), version, values)
        return {'configuration': views.configuration_detail_view(group,
                                                                 rules)}

    def update(self, req, tenant_id, id, body):
        """PUT: replace every value (and rename); 202."""
        if body['configuration'].get('dry_run') is True:
            return self._plan(req.context, id, body['configuration'],
                              'configuration:update', merge=False)
        self._change(req.context, id, body['configuration'],
                     'configuration:update', merge=False)
        return wsgi.Result(None, 202)

    def edit(self, req, tenant_id, id, body):
        """PATCH: change or add the given values; 200, empty body."""
        if body['configuration'].get('dry_run') is True:
            return self._plan(req.context, id, body['configuration'],
                              'configuration:edit', merge=True)
        self._change(req.context, id, body['configuration'],
                     'configuration:edit', merge=True)
        return wsgi.Result(None, 200)

    def _plan(self, context, configuration_id, data, rule, merge):
        """``"dry_run": true``: the values that would change, which of
        them need a restart, and the attached instances; nothing is
        written (a value the rules refuse is still a 400)."""
        group = self._load(context, configuration_id, rule)
        rules = parameter_rules.load_rules(context,
                                           group.datastore_version_id)
        new = parameter_rules.validate(rules, data.get('values') or {},
                                       group.datastore_label)
        old = dict(group.values)
        after = dict(old, **new) if merge else new
        changed = sorted(name for name in set(old) | set(after)
                         if old.get(name) != after.get(name))
        restart = parameter_rules.restart_required(rules, changed)
        return {'plan': {
            'action': 'configuration_' + ('edit' if merge else 'update'),
            'configuration_id': group.id, 'dry_run': True,
            'changes': {name: {'from': old.get(name), 'to': after.get(name)}
                        for name in changed},
            'live': sorted(set(changed) - set(restart)),
            'restart_required': restart,
            'instances': models.attached_instance_ids(context, group.id),
            'restarts': [], 'switchover': False,
            'expected_downtime_s': 0.0,
            'downtime_basis': 'nothing restarts; instances needing a '
                              'restart show RESTART_REQUIRED'}}

    def _change(self, context, configuration_id, data, rule, merge):
        group = self._load(context, configuration_id, rule)
        values = None
        if 'values' in data:
            rules = parameter_rules.load_rules(context,
                                               group.datastore_version_id)
            values = parameter_rules.validate(rules, data['values'],
                                              group.datastore_label)
        models.update(context, group.id, values=values, merge=merge,
                      name=data.get('name'),
                      description=data.get('description'))
        if values is not None:
            # In place on every attached instance when the call returns.
            configuration_instances.apply_to_attached(context, group.id)

    def delete(self, req, tenant_id, id):
        context = req.context
        group = self._load(context, id, 'configuration:delete')
        models.delete(context, group.id)
        return wsgi.Result(None, 202)


class InstanceConfigurationController(wsgi.Controller):
    """``GET /instances/{id}/configuration``: the default configuration
    of the instance's datastore for its flavor."""

    def show(self, req, tenant_id, id):
        context = req.context
        instance = instance_models.load(context, id)
        policy.authorize_on_target(context, 'instance:configuration',
                                   {'tenant': instance.tenant_id})
        return {'instance': {'configuration': defaults.default_configuration(
            context, instance)}}
