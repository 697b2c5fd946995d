"""API controllers of an instance's users and their database access."""

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


def _find_user(guest, manager, name, host):
    found = guest.get_user(name, host)
    if not found:
        raise exception.UserNotFound(uuid='%s@%s' % (name, host)
                                     if manager in user_ids.MYSQL_FAMILY
                                     else name)
    return found


def _user_ref(instance, id):
    name, host = user_ids.parse(instance.manager, id)
    guest_models.validate_user_name(instance.manager, name)
    guest_models.validate_host(instance.manager, host)
    return name, host


class UserController(wsgi.Controller):

    schemas = {'create': schemas.user_create,
               'update_all': schemas.user_update_all,
               'update': schemas.user_update}

    def index(self, req, tenant_id, instance_id):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:user:index')
        limit = pagination.page_limit(context, CONF.users_page_size)
        users, next_marker = guest_api.API(context, instance.id).list_users(
            limit=limit, marker=context.marker)
        body = {'users': [views.user_view(u) for u in users]}
        if next_marker:
            body['links'] = pagination.next_link(req, next_marker)
        return body

    def create(self, req, tenant_id, instance_id, body):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:user:create')
        users = guest_models.users_for_create(instance.manager,
                                              body['users'])
        guest = guest_api.API(context, instance.id)
        for user in users:
            if guest.get_user(user['_name'], user['_host']):
                raise exception.UserAlreadyExists(
                    name='%s@%s' % (user['_name'], user['_host']))
        guest.create_user(users)
        return wsgi.Result(None, 202)

    def show(self, req, tenant_id, instance_id, id):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:user:show')
        name, host = _user_ref(instance, id)
        user = _find_user(guest_api.API(context, instance.id),
                          instance.manager, name, host)
        return {'user': views.user_view(user)}

    def update(self, req, tenant_id, instance_id, id, body):
        """Rename, re-host or re-password one user."""
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:user:update')
        name, host = _user_ref(instance, id)
        attrs = body['user']
        new_name = attrs.get('name') or name
        new_host = attrs.get('host') or host
        if instance.manager not in user_ids.MYSQL_FAMILY:
            new_host = host     # only the MySQL family has hosts
        guest_models.validate_user_name(instance.manager, new_name)
        guest_models.validate_host(instance.manager, new_host)
        if 'password' in attrs:
            guest_models.validate_password(attrs['password'])
        guest = guest_api.API(context, instance.id)
        _find_user(guest, instance.manager, name, host)
        if (new_name, new_host) != (name, host) and guest.get_user(
                new_name, new_host):
            raise exception.UserAlreadyExists(name='%s@%s'
                                              % (new_name, new_host))
        guest.update_attributes(name, host, {
            key: attrs[key] for key in ('name', 'host', 'password')
            if key in attrs})
        return wsgi.Result(None, 202)

    def update_all(self, req, tenant_id, instance_id, body):
        """Change the passwords of several users."""
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:user:update_all')
        guest = guest_api.API(context, instance.id)
        changes = []
        for user in body['users']:
            name = user['name']
            host = user.get('host') or guest_models.DEFAULT_HOST
            guest_models.validate_user_name(instance.manager, name)
            guest_models.validate_host(instance.manager, host)
            guest_models.validate_password(user['password'])
            _find_user(guest, instance.manager, name, host)
            changes.append({'name': name, 'host': host,
                            'password': user['password']})
        guest.change_passwords(changes)
        return wsgi.Result(None, 202)

    def delete(self, req, tenant_id, instance_id, id):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:user:delete')
        name, host = _user_ref(instance, id)
        guest = guest_api.API(context, instance.id)
        user = _find_user(guest, instance.manager, name, host)
        guest.delete_user(user)
        return wsgi.Result(None, 202)


class UserAccessController(wsgi.Controller):

    schemas = {'update': schemas.user_access_update}

    def _load(self, req, instance_id, id, rule):
        instance = checks.load_running_instance(req.context, instance_id,
                                                rule)
        name, host = _user_ref(instance, id)
        guest = guest_api.API(req.context, instance.id)
        _find_user(guest, instance.manager, name, host)
        return instance, guest, name, host

    def index(self, req, tenant_id, instance_id, user_id):
        _instance, guest, name, host = self._load(
            req, instance_id, user_id, 'instance:extension:user_access:index')
        databases = guest.list_access(name, host)
        return {'databases': [views.database_view(d) for d in databases]}

    def update(self, req, tenant_id, instance_id, user_id, body):
        instance, guest, name, host = self._load(
            req, instance_id, user_id,
            'instance:extension:user_access:update')
        names = []
        for database in body['databases']:
            guest_models.validate_database_name(instance.manager,
                                                database['name'])
            names.append(database['name'])
        guest.grant_access(name, host, names)
        return wsgi.Result(None, 202)

    def delete(self, req, tenant_id, instance_id, user_id, id):
        instance, guest, name, host = self._load(
            req, instance_id, user_id,
            'instance:extension:user_access:delete')
        id = user_ids.url_text(id)
        guest_models.validate_database_name(instance.manager, id)
        granted = {d['_name'] for d in guest.list_access(name, host)}
        if id not in granted:
            raise exception.DatabaseNotFound(uuid=id)
        guest.revoke_access(name, host, id)
        return wsgi.Result(None, 202)
