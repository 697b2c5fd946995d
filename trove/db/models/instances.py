"""Instances and what the control plane records about them."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db.models.base import (Base, created_column, deleted_column,
                                  id_column, updated_column)


class Instance(Base):
    __tablename__ = 'instances'
    __table_args__ = (
        # The project listing: newest first among the live instances.
        sa.Index('ix_instances_tenant_id_deleted_created',
                 'tenant_id', 'deleted', 'created'),
    )

    id: orm.Mapped[str] = id_column()
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    hostname: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    compute_instance_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36))
    task_id: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    task_description: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(255))
    task_start_time: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    volume_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    flavor_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    volume_size: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    tenant_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), index=True)
    server_status: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    deleted: orm.Mapped[bool] = deleted_column(index=True)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    datastore_version_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'))
    configuration_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('configurations.id'))
    slave_of_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('instances.id'), index=True)
    cluster_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('clusters.id'), index=True)
    shard_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    type: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    region_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    encrypted_key: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    access: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    ssl_mode: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    ssl_ref: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # Not upstream: the server's addresses as JSON, recorded by the
    # taskmanager from the compute driver, so showing an instance needs no
    # call to the compute service.
    addresses: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # Not upstream: facts of the create request the flows read (one source
    # for each fact; upstream passes them only in the cast).
    availability_zone: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(255))
    volume_type: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    nics: orm.Mapped[str | None] = orm.mapped_column(sa.Text)   # JSON
    locality: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    server_group_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(64))
    # Not upstream: automatic failover (doc/failover.md). On a primary:
    # its settings (NULL: the [DEFAULT] options); on every member: the
    # replication epoch it belongs to, raised by each change of source,
    # and when the set last failed over (anti-flapping).
    auto_failover: orm.Mapped[bool | None] = orm.mapped_column(sa.Boolean)
    replication_mode: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(8))
    replication_epoch: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, nullable=False, default=0, server_default='0')
    failover_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    # The epoch in which this failed primary was fenced (NULL: not
    # fenced): its guest starts the engine read-only while it is set.
    fenced_epoch: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)

    service_status: orm.Mapped[ServiceStatusRecord | None] = orm.relationship(
        primaryjoin='Instance.id == foreign(ServiceStatusRecord.instance_id)',
        uselist=False, viewonly=True, lazy='raise')
    fault: orm.Mapped[InstanceFault | None] = orm.relationship(
        primaryjoin='and_(Instance.id == InstanceFault.instance_id, '
                    'InstanceFault.deleted == false())',
        uselist=False, viewonly=True, lazy='raise')
    datastore_version = orm.relationship('DatastoreVersion', lazy='raise',
                                         viewonly=True)
    configuration = orm.relationship('Configuration', lazy='raise',
                                     viewonly=True)


class ServiceStatusRecord(Base):
    """The engine status last reported by the instance's guest agent."""

    __tablename__ = 'service_statuses'

    id: orm.Mapped[str] = id_column()
    instance_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), nullable=False, index=True, unique=True)
    status_id: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    status_description: orm.Mapped[str] = orm.mapped_column(
        sa.String(64), nullable=False)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)


class InstanceFault(Base):
    """Why an instance is in error, in words the user can act on."""

    __tablename__ = 'instance_faults'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    instance_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('instances.id', ondelete='CASCADE'),
        nullable=False, index=True)
    message: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                 nullable=False)
    details: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created: orm.Mapped[datetime.datetime | None] = created_column()
    updated: orm.Mapped[datetime.datetime | None] = updated_column()
    deleted: orm.Mapped[bool] = deleted_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)


class RootEnabledHistory(Base):
    """Who enabled root on an instance and when (id is the instance id)."""

    __tablename__ = 'root_enabled_history'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    user: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    created: orm.Mapped[datetime.datetime | None] = created_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)


class ConductorLastSeen(Base):
    """Newest ``sent`` stamp accepted per instance and conductor method."""

    __tablename__ = 'conductor_lastseen'

    instance_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                     primary_key=True)
    method_name: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                     primary_key=True)
    # Double, not Float: epoch seconds with microseconds need 53 bits.
    sent: orm.Mapped[float] = orm.mapped_column(sa.Double, nullable=False)
