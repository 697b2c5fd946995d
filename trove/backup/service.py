"""API controllers of backups and backup strategies.

Routes (trove/api/router.py): ``/backups`` (index, create), ``/backups/{id}``
(show, delete), ``/instances/{instance_id}/backups`` and
``/backup_strategies`` (index, create, delete). Codes, keys and quirks are
upstream's: create answers 202 with the NEW backup, delete 202, and the
backup list takes upstream's integer offset marker (and gives page keys
in its next links).
"""

from oslo_utils import strutils

from trove.backup import create as backup_create
from trove.backup import drills
from trove.backup import models
from trove.backup import strategies
from trove.backup import views
from trove.common import exception
from trove.common import page_keys
from trove.common import pagination
from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import backup as schemas
from trove.conf import CONF
from trove.instance import models as instance_models
from trove.instance import pitr


def _position(context):
    """Where a page starts: (offset, after). Upstream's marker is how many
    backups the previous pages showed, and the clients send back whatever
    the next link holds; this API's next links hold a page key instead
    (``page_keys``), which costs the same on the ten-thousandth page as
    on the first. Both forms are understood."""
    marker = context.marker
    if marker in (None, ''):
        return 0, None
    if page_keys.is_key(marker):
        return 0, page_keys.parse(marker)
    try:
        offset = int(marker)
    except (TypeError, ValueError):
        raise exception.BadRequest(
            'The backup list marker must be a marker of a next link or an '
            'integer offset, got %r.' % marker) from None
    if offset < 0:
        raise exception.BadRequest('The backup list marker must not be '
                                   'negative.')
    return offset, None


def _page_limit(context):
    """Upstream's backup lists take ``limit`` as given; here up to
    backups_max_page_size, so one request cannot load every backup."""
    return pagination.page_limit(context, CONF.backups_page_size,
                                 maximum=max(CONF.backups_max_page_size,
                                             CONF.backups_page_size))


def _paged(req, rows, limit):
    items = [views.backup_view(row) for row in rows]
    return pagination.paginated(
        req, 'backups', items, limit,
        lambda index: page_keys.key_of(rows[index].page_updated,
                                       rows[index].id))


def _flag(req, name):
    return strutils.bool_from_string(req.GET.get(name, 'false'))


class BackupController(wsgi.Controller):

    schemas = {'create': schemas.create, 'drill': schemas.drill}

    def get_schema(self, action, body):
        if action == 'drill' and not body:
            return None     # a drill without a check query
        return super().get_schema(action, body)

    def index(self, req, tenant_id):
        context = req.context
        policy.authorize_on_tenant(context, 'backup:index')
        all_projects = _flag(req, 'all_projects')
        project_id = req.GET.get('project_id')
        if all_projects or (project_id and project_id != context.project_id):
            policy.authorize_on_tenant(context, 'backup:index:all_projects')
        limit = _page_limit(context)
        offset, after = _position(context)
        rows = models.list_page(
            context, limit, offset, after,
            datastore=req.GET.get('datastore'),
            instance_id=req.GET.get('instance_id'),
            project_id=project_id or tenant_id,
            all_projects=all_projects and not project_id)
        return _paged(req, rows, limit)

    def instance_index(self, req, tenant_id, instance_id):
        """``GET /instances/{id}/backups``: the backups of one instance."""
        context = req.context
        instance = instance_models.load(context, instance_id)
        policy.authorize_on_target(context, 'instance:backups',
                                   {'tenant': instance.tenant_id})
        limit = _page_limit(context)
        offset, after = _position(context)
        rows = models.list_page(context, limit, offset, after,
                                instance_id=instance.id,
                                project_id=instance.tenant_id)
        body = _paged(req, rows, limit)
        # What these backups and the instance's archive can restore.
        body['restorable_window'] = pitr.window(context, instance.id)
        return body

    def show(self, req, tenant_id, id):
        context = req.context
        row = models.load(context, id)
        policy.authorize_on_target(context, 'backup:show',
                                   {'tenant': row.tenant_id})
        return {'backup': views.backup_detail_view(row)}

    def drill(self, req, tenant_id, id, body=None):
        """``POST /backups/{id}/drill``: restore it into a sandbox, check
        it, time it, delete the sandbox (trove.backup.drills); 202. The
        optional body ``{"drill": {"query": "SELECT ...", "database":
        "...", "restoreTime": "..."}}`` adds the user's check query and
        the point in time the backup is rolled forward to."""
        context = req.context
        row = models.load(context, id)
        policy.authorize_on_target(context, 'backup:drill',
                                   {'tenant': row.tenant_id})
        wanted = (body or {}).get('drill') or {}
        drill = drills.request(context, row, query=wanted.get('query'),
                               database=wanted.get('database'),
                               restore_time=wanted.get('restoreTime'))
        return wsgi.Result({'drill': drills.view(drill)}, 202)

    def create(self, req, tenant_id, body):
        context = req.context
        policy.authorize_on_tenant(context, 'backup:create')
        row = backup_create.create(context, body['backup'])
        return wsgi.Result({'backup': views.backup_view(row)}, 202)

    def delete(self, req, tenant_id, id):
        context = req.context
        row = models.load(context, id)
        policy.authorize_on_target(context, 'backup:delete',
                                   {'tenant': row.tenant_id})
        models.delete(context, row)
        return wsgi.Result(None, 202)


class BackupStrategyController(wsgi.Controller):

    schemas = {'create': schemas.strategy_create}

    @staticmethod
    def _project(req, rule):
        """The project a request is about; another one needs admin."""
        context = req.context
        project_id = req.GET.get('project_id') or context.project_id
        policy.authorize_on_target(context, rule, {'tenant': project_id})
        return project_id

    def index(self, req, tenant_id):
        project_id = self._project(req, 'backup_strategy:index')
        rows = strategies.list_strategies(req.context, project_id,
                                          req.GET.get('instance_id'))
        return {'backup_strategies': [views.strategy_view(row)
                                      for row in rows]}

    def create(self, req, tenant_id, body):
        context = req.context
        policy.authorize_on_tenant(context, 'backup_strategy:create')
        data = body['backup_strategy']
        row = strategies.create(context, context.project_id,
                                data['swift_container'],
                                data.get('instance_id'))
        return wsgi.Result({'backup_strategy': views.strategy_view(row)},
                           202)

    def delete(self, req, tenant_id):
        project_id = self._project(req, 'backup_strategy:delete')
        strategies.delete(req.context, project_id,
                          req.GET.get('instance_id'))
        return wsgi.Result(None, 202)
