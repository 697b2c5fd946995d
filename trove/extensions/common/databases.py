"""API controller of an instance's databases."""

from trove.common import exception
from trove.common import pagination
from trove.common import wsgi
from trove.common.schemas import user as schemas
from trove.conf import CONF
from trove.extensions.common import checks
from trove.extensions.common import guest_models
from trove.extensions.common import user_ids
from trove.extensions.common import views
from trove.guestagent import api as guest_api


class DatabaseController(wsgi.Controller):

    schemas = {'create': schemas.database_create}

    def index(self, req, tenant_id, instance_id):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:database:index')
        limit = pagination.page_limit(context, CONF.databases_page_size)
        databases, next_marker = guest_api.API(
            context, instance.id).list_databases(limit=limit,
                                                 marker=context.marker)
        body = {'databases': [views.database_view(d) for d in databases]}
        if next_marker:
            body['links'] = pagination.next_link(req, next_marker)
        return body

    def create(self, req, tenant_id, instance_id, body):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:database:create')
        databases = guest_models.databases_for_create(instance.manager,
                                                      body['databases'])
        guest = guest_api.API(context, instance.id)
        existing = {d['_name'] for d in _all_databases(guest)}
        for database in databases:
            if database['_name'] in existing:
                raise exception.DatabaseAlreadyExists(
                    name=database['_name'])
        guest.create_database(databases)
        return wsgi.Result(None, 202)

    def show(self, req, tenant_id, instance_id, id):
        raise exception.NotImplementedForDatastore(
            'Showing a single database is not supported; list them.')

    def delete(self, req, tenant_id, instance_id, id):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:database:delete')
        id = user_ids.url_text(id)
        guest_models.validate_database_name(instance.manager, id)
        guest = guest_api.API(context, instance.id)
        if id not in {d['_name'] for d in _all_databases(guest)}:
            raise exception.DatabaseNotFound(uuid=id)
        guest.delete_database({'_name': id, '_character_set': None,
                               '_collate': None})
        return wsgi.Result(None, 202)


def _all_databases(guest):
    databases, marker = guest.list_databases()
    while marker:
        more, marker = guest.list_databases(marker=marker)
        databases.extend(more)
    return databases
