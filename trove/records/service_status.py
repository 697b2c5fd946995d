"""Reads and writes of an instance's service status row."""

import sqlalchemy as sa

from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models

Row = db_models.ServiceStatusRecord


def create(session, instance_id, status=states.ServiceStatuses.NEW):
    session.add(Row(instance_id=instance_id, status_id=status.code,
                    status_description=status.description,
                    updated_at=db_models.utcnow()))


def get(context, instance_id):
    with db_api.reader(context) as session:
        row = session.query(Row).filter_by(instance_id=instance_id).first()
    if row is None:
        return None, None
    return states.ServiceStatuses.from_code(row.status_id), row.updated_at


def get_many(context, instance_ids):
    """{instance id: status} of the given instances that have a row, in
    one statement."""
    query = sa.select(Row.instance_id, Row.status_id).where(
        Row.instance_id.in_(sorted(instance_ids)))
    with db_api.reader(context) as session:
        rows = session.execute(query).all()
    return {instance_id: states.ServiceStatuses.from_code(code)
            for instance_id, code in rows}


def set_status(context, instance_id, status):
    """Store a status (the control plane's own changes)."""
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.instance_id == instance_id)
                        .values(status_id=status.code,
                                status_description=status.description,
                                updated_at=db_models.utcnow()))
