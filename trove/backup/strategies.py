"""Backup strategies: where a project's (or one instance's) backups go.

A strategy names the Swift container of new backups; one per project
(``instance_id`` empty) and one per instance at most. Creating one for a
(project, instance) pair that has one replaces its container, as
upstream's create does.
"""

import sqlalchemy as sa

from trove.db import api as db_api
from trove.db import models as db_models
from trove.instance import models as instance_models

Row = db_models.BackupStrategy
BACKEND = 'swift'


def create(context, project_id, swift_container, instance_id=None):
    if instance_id:
        # 404 unless the caller can see the instance.
        instance_models.load(context, instance_id)
    with db_api.writer(context) as session:
        row = session.query(Row).filter_by(
            tenant_id=project_id, instance_id=instance_id or '').first()
        if row is None:
            row = Row(tenant_id=project_id, instance_id=instance_id or '',
                      backend=BACKEND, swift_container=swift_container)
            session.add(row)
        else:
            row.swift_container = swift_container
            row.backend = BACKEND
        session.flush()
    return row


def list_strategies(context, project_id, instance_id=None):
    with db_api.reader(context) as session:
        query = session.query(Row).filter(Row.tenant_id == project_id)
        if instance_id is not None:
            query = query.filter(Row.instance_id == instance_id)
        return query.order_by(Row.instance_id).all()


def delete(context, project_id, instance_id=None):
    with db_api.writer(context) as session:
        session.execute(sa.delete(Row).where(
            Row.tenant_id == project_id,
            Row.instance_id == (instance_id or '')))
