"""Work claims: which flow should run on a resource, and who runs it."""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import Base, created_column, updated_column


class WorkClaim(Base):
    """The flow due on one resource (an instance, backup or cluster, or a
    periodic check), and the taskmanager holding it until
    ``lease_expires``. The API writes the row with the task; a
    taskmanager claims it; a claim whose lease passed is taken over by
    the periodic sweep. See trove.records.work_claims."""

    __tablename__ = 'work_claims'
    __table_args__ = (
        sa.Index('ix_work_claims_lease_expires', 'lease_expires'),
        sa.Index('ix_work_claims_owner', 'owner'),
    )

    resource_id: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                                     primary_key=True)
    resource_type: orm.Mapped[str] = orm.mapped_column(sa.String(16),
                                                       nullable=False)
    flow: orm.Mapped[str] = orm.mapped_column(sa.String(32), nullable=False)
    # The last step the flow finished (resumption starts after it).
    step: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    owner: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    lease_expires: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, nullable=False)
    # JSON: the request's arguments that are not facts of the resource
    # (never secrets), and what finished steps learned.
    args: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    state: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    request_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    attempts: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, nullable=False, default=0, server_default='0')
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
