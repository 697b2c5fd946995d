"""Root-enabled history: who enabled root on an instance, and when.

The one writer of ``root_enabled_history``: the API (root enable and
disable) and the conductor (root enabled by the guest in prepare) both
record through here. Whether root is enabled is read from this table,
not asked of the guest.
"""

from trove.db import api as db_api
from trove.db import models as db_models

Row = db_models.RootEnabledHistory


def get(context, instance_id):
    with db_api.reader(context) as session:
        return session.get(Row, instance_id)


def is_enabled(history):
    return history is not None and history.deleted_at is None


def record_enabled(context, instance_id, user=None):
    """Root is enabled on ``instance_id`` by ``user`` (now)."""
    user = user or context.user_id
    with db_api.writer(context) as session:
        if session.get(db_models.Instance, instance_id) is None:
            return False    # an instance this deployment does not know
        history = session.get(Row, instance_id)
        if history is None:
            session.add(Row(id=instance_id, user=user))
        else:
            history.user = user
            history.created = db_models.utcnow()
            history.deleted_at = None
        return True


def record_disabled(context, instance_id):
    with db_api.writer(context) as session:
        history = session.get(Row, instance_id)
        if history is not None:
            history.deleted_at = db_models.utcnow()
