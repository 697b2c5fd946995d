"""API controllers of the root user, and its history for administrators.

Whether root is enabled is read from ``root_enabled_history`` (recorded by
the API, by the taskmanager for root-on-create and by the conductor after a
restore), not asked of the guest.
"""

from trove.common import exception
from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import user as schemas
from trove.db import api as db_api
from trove.db import models as db_models
from trove.extensions.common import checks
from trove.extensions.common import views
from trove.guestagent import api as guest_api
from trove.instance import models as instance_models


def get_history(context, instance_id):
    with db_api.reader(context) as session:
        return session.get(db_models.RootEnabledHistory, instance_id)


def is_enabled(history):
    return history is not None and history.deleted_at is None


def record_enabled(context, instance_id):
    with db_api.writer(context) as session:
        history = session.get(db_models.RootEnabledHistory, instance_id)
        if history is None:
            session.add(db_models.RootEnabledHistory(
                id=instance_id, user=context.user_id))
        else:
            history.user = context.user_id
            history.created = db_models.utcnow()
            history.deleted_at = None


def record_disabled(context, instance_id):
    with db_api.writer(context) as session:
        history = session.get(db_models.RootEnabledHistory, instance_id)
        if history is not None:
            history.deleted_at = db_models.utcnow()


class RootController(wsgi.Controller):

    schemas = {'create': schemas.root_create}

    def index(self, req, tenant_id, instance_id):
        context = req.context
        instance = instance_models.load(context, instance_id)
        policy.authorize_on_target(context, 'instance:extension:root:index',
                                   {'tenant': instance.tenant_id})
        return {'rootEnabled': is_enabled(get_history(context, instance.id))}

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
        record_enabled(context, instance.id)
        return {'user': {'name': user['_name'],
                         'password': user['_password']}}

    def delete(self, req, tenant_id, instance_id):
        context = req.context
        instance = checks.load_running_instance(
            context, instance_id, 'instance:extension:root:delete')
        if get_history(context, instance.id) is None:
            raise exception.RootHistoryNotFound()
        guest_api.API(context, instance.id).disable_root()
        record_disabled(context, instance.id)
        return wsgi.Result(None, 204)


class RootHistoryController(wsgi.Controller):
    """``GET /mgmt/instances/{id}/root``: administrators only."""

    def root(self, req, tenant_id, id):
        context = req.context
        if not context.is_admin:
            raise exception.Forbidden()
        instance = instance_models.load(context, id, include_deleted=True)
        history = get_history(context, instance.id)
        return {'root_history': views.root_history_view(instance.id,
                                                        history)}


class ClusterRootController(wsgi.Controller):
    """``/clusters/{cluster_id}/root``: no clusters exist yet (501)."""

    def _not_implemented(self):
        raise exception.NotImplementedForDatastore(
            'Clusters are not supported, so neither is their root user.')

    def index(self, req, tenant_id, cluster_id):
        self._not_implemented()

    def create(self, req, tenant_id, cluster_id, body=None):
        self._not_implemented()
