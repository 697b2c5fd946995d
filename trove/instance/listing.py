"""Pages of instances, read with one Core SELECT.

A list is the API's busiest request. Loading its rows as ORM entities
with four eager-loaded relationships costs several times the query itself
(identity map, per-object state), so a page is read as one JSON document
per row: the fields the list views show, joined from the service status,
datastore version, datastore, fault and configuration name, turned into
``ListedInstance`` objects that look like ORM rows to ``Instance`` and
the views. The statement is built once per shape; the project, marker
and limit are bound parameters.
"""

import datetime
import functools
import types

import sqlalchemy as sa
from sqlalchemy import orm

from trove.db import api as db_api
from trove.db import expressions
from trove.db import models as db_models

Row = db_models.Instance
Status = db_models.ServiceStatusRecord
Version = db_models.DatastoreVersion
Datastore = db_models.Datastore
Fault = db_models.InstanceFault
Configuration = db_models.Configuration


def _summary_fields():
    """What the summary view reads of a row, by name. A page is read as
    one JSON document per row (expressions.row_document): every column
    the driver parses costs on every row. Times come as the API's text."""
    return {
        'id': Row.id, 'name': Row.name, 'tenant_id': Row.tenant_id,
        'flavor_id': Row.flavor_id, 'region_id': Row.region_id,
        'access': Row.access, 'volume_size': Row.volume_size,
        'addresses': Row.addresses, 'task_id': Row.task_id,
        'server_status': Row.server_status,
        'datastore_version_id': Row.datastore_version_id,
        'status_id': Status.status_id,
        'status_updated_at': expressions.iso_seconds(Status.updated_at),
        'version_name': Version.name, 'version_number': Version.version,
        'version_manager': Version.manager,
        'datastore_name': Datastore.name,
        'slave_of_id': Row.slave_of_id,
        'replica_ids': _replica_ids(),
    }


def _replica_ids():
    """The row's live replicas, comma separated, oldest first (a
    correlated subquery: the page stays one statement)."""
    replica = orm.aliased(Row, name='replica')
    return (sa.select(expressions.joined_text(replica.id, replica.created,
                                              replica.id))
            .where(replica.slave_of_id == Row.id,
                   replica.deleted == sa.false())
            .correlate(Row.__table__).scalar_subquery())


def _detail_fields():
    """The detail view's fields beyond the summary's."""
    return {
        'created': expressions.iso_seconds(Row.created),
        'updated': expressions.iso_seconds(Row.updated),
        'configuration_id': Row.configuration_id,
        'compute_instance_id': Row.compute_instance_id,
        'volume_id': Row.volume_id,
        'fault_message': Fault.message, 'fault_details': Fault.details,
        'fault_created': expressions.iso_seconds(Fault.created),
        'fault_updated': expressions.iso_seconds(Fault.updated),
        'configuration_name': Configuration.name,
        'locality': Row.locality,
        # The failover extension keys (trove.instance.views.failover_view).
        'auto_failover': Row.auto_failover,
        'replication_mode': Row.replication_mode,
        'replication_epoch': Row.replication_epoch,
    }


class ListedInstance:
    """An instance row of a page: its columns as attributes, and its
    related rows as plain objects with the attributes the views read."""

    def __init__(self, values, shared):
        """``shared``: datastore versions already made for the page's
        other rows, by id (a page has few distinct ones)."""
        self.running_backup = bool(values.pop('running_backup'))
        status_id = values.pop('status_id')
        status_updated = values.pop('status_updated_at')
        if status_updated is not None:
            # Heartbeat expiry is reckoned from it.
            status_updated = datetime.datetime.fromisoformat(status_updated)
        version = (values.pop('version_name'), values.pop('version_number'),
                   values.pop('version_manager'), values.pop('datastore_name'))
        fault = (values.pop('fault_message', None),
                 values.pop('fault_details', None),
                 values.pop('fault_created', None),
                 values.pop('fault_updated', None))
        configuration_name = values.pop('configuration_name', None)
        self.__dict__.update(values)
        self.service_status = None
        if status_id is not None:
            self.service_status = types.SimpleNamespace(
                status_id=status_id, updated_at=status_updated)
        self.datastore_version = shared.get(self.datastore_version_id)
        if self.datastore_version is None and version[0] is not None:
            self.datastore_version = shared[self.datastore_version_id] = \
                types.SimpleNamespace(
                    id=self.datastore_version_id, name=version[0],
                    version=version[1], manager=version[2],
                    datastore=types.SimpleNamespace(name=version[3]))
        self.fault = None
        if fault[0] is not None:
            self.fault = types.SimpleNamespace(
                message=fault[0], details=fault[1], created=fault[2],
                updated=fault[3])
        self.configuration = None
        if configuration_name is not None:
            self.configuration = types.SimpleNamespace(
                id=self.configuration_id, name=configuration_name)


def read_page(context, running_backup, limit, marker=None, detail=False,
              include_clustered=False, project_id=None, all_projects=False):
    """``limit + 1`` ListedInstances at most, newest first, after the
    instance ``marker``; ``running_backup`` is the correlated EXISTS that
    tells whether a backup of the row runs."""
    query = _page_query(running_backup, detail, all_projects,
                        include_clustered, bool(marker))
    parameters = {'limit': limit + 1, 'marker': marker,
                  'project_id': project_id or context.project_id}
    shared = {}
    return [ListedInstance(row, shared)
            for row in db_api.read_documents(context, query, parameters)]


@functools.cache
def _page_query(running_backup, detail, all_projects, include_clustered,
                after_marker):
    fields = _summary_fields()
    # 1 or 0: MariaDB renders a bare EXISTS inside JSON_OBJECT as the
    # string "0" or "1" (a truthy "0"), PostgreSQL as false or true.
    fields['running_backup'] = sa.case((running_backup, 1), else_=0)
    joined = (Row.__table__
              .outerjoin(Status.__table__, Status.instance_id == Row.id)
              .outerjoin(Version.__table__,
                         Version.id == Row.datastore_version_id)
              .outerjoin(Datastore.__table__,
                         Datastore.id == Version.datastore_id))
    if detail:
        fields.update(_detail_fields())
        joined = (joined
                  .outerjoin(Fault.__table__,
                             sa.and_(Fault.instance_id == Row.id,
                                     Fault.deleted == sa.false()))
                  .outerjoin(Configuration.__table__,
                             Configuration.id == Row.configuration_id))
    query = (sa.select(expressions.row_document(**fields)).select_from(joined)
             .where(Row.deleted == sa.false()))
    if not all_projects:
        query = query.where(Row.tenant_id == sa.bindparam('project_id'))
    if not include_clustered:
        query = query.where(Row.cluster_id.is_(None))
    if after_marker:
        # Rows after the marker instance in (created desc, id desc) order.
        marker = sa.bindparam('marker')
        marker_created = (sa.select(Row.created).where(Row.id == marker)
                          .scalar_subquery())
        query = query.where(expressions.after_key(
            Row.created, Row.id, marker_created, marker))
    if not all_projects:
        query = expressions.reading_in_index_order(
            query, Row.__table__, 'ix_instances_tenant_id_deleted_created')
    return (query.order_by(Row.created.desc(), Row.id.desc())
            .limit(sa.bindparam('limit')))
