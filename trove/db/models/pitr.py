"""Point-in-time recovery: the archive index and the restores made from it.

``pitr_archives`` has one row per WAL segment or binary log a guest agent
shipped (the conductor writes them from the guest's reports): where it is,
its checksum, its order (``seq``) and the first/last event times that the
API turns into an instance's restorable window. ``pitr_restores`` records
what a point-in-time restore asked for and the time the guest reached.
Times are epoch seconds (Double keeps the microseconds on every backend).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import Base


class PitrArchive(Base):
    __tablename__ = 'pitr_archives'
    __table_args__ = (
        sa.UniqueConstraint('instance_id', 'name',
                            name='uq_pitr_archives_instance_id_name'),
        sa.Index('ix_pitr_archives_instance_id_seq', 'instance_id', 'seq'),
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    instance_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                     nullable=False)
    # 'wal' or 'binlog'
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(16), nullable=False)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    seq: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    location: orm.Mapped[str | None] = orm.mapped_column(sa.String(1024))
    checksum: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    size: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    server_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    first_gtid: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    last_gtid: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    first_event: orm.Mapped[float | None] = orm.mapped_column(sa.Double)
    last_event: orm.Mapped[float | None] = orm.mapped_column(sa.Double)
    # When the file was closed: its coverage ends there.
    closed_at: orm.Mapped[float | None] = orm.mapped_column(sa.Double)
    # When the previous file was closed (or archiving began).
    opened_at: orm.Mapped[float | None] = orm.mapped_column(sa.Double)
    # 'archived', 'failed' (upload), 'missing' (object gone or corrupt)
    state: orm.Mapped[str] = orm.mapped_column(sa.String(16),
                                               nullable=False)
    reason: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))


class PitrRestore(Base):
    __tablename__ = 'pitr_restores'

    instance_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                     primary_key=True)
    source_instance_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36))
    backup_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    # None: "latest"
    target: orm.Mapped[float | None] = orm.mapped_column(sa.Double)
    reached: orm.Mapped[float | None] = orm.mapped_column(sa.Double)
