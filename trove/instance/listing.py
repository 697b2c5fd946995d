"""Pages of instances, read with one Core SELECT.

A list is the API's busiest request. Loading its rows as ORM entities
with four eager-loaded relationships costs several times the query itself
(identity map, per-object state), so a page is read as plain rows: the
columns the list views show, joined with the service status, datastore
version, datastore, fault and configuration name, and turned into
``ListedInstance`` objects that look like ORM rows to ``Instance`` and
the views. The statement is built once per shape; the project, marker
and limit are bound parameters.
"""

import functools
import types

import sqlalchemy as sa

from trove.db import api as db_api
from trove.db import expressions
from trove.db import models as db_models

Row = db_models.Instance
Status = db_models.ServiceStatusRecord
Version = db_models.DatastoreVersion
Datastore = db_models.Datastore
Fault = db_models.InstanceFault
Configuration = db_models.Configuration

# Columns of the instances table the summary views read; the detail view
# adds a few. Every column costs on every row (the driver parses rows in
# Python), a DATETIME most: the times the detail view only shows come as
# the API's text. The service status's time stays a datetime (heartbeat
# expiry is computed from it).
SUMMARY_COLUMNS = (
    Row.id, Row.name, Row.tenant_id, Row.flavor_id, Row.region_id,
    Row.access, Row.volume_size, Row.addresses, Row.task_id,
    Row.server_status, Row.datastore_version_id)
DETAIL_COLUMNS = SUMMARY_COLUMNS + (
    expressions.iso_seconds(Row.created).label('created'),
    expressions.iso_seconds(Row.updated).label('updated'),
    Row.configuration_id, Row.compute_instance_id, Row.volume_id)


class ListedInstance:
    """An instance row of a page: its columns as attributes, and its
    related rows as plain objects with the attributes the views read."""

    def __init__(self, values, shared):
        """``shared``: datastore versions already made for the page's
        other rows, by id (a page has few distinct ones)."""
        self.running_backup = bool(values.pop('running_backup'))
        status_id = values.pop('status_id')
        status_updated = values.pop('status_updated_at')
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
            for row in db_api.read_rows(context, query, parameters)]


@functools.cache
def _page_query(running_backup, detail, all_projects, include_clustered,
                after_marker):
    columns = list(DETAIL_COLUMNS if detail else SUMMARY_COLUMNS) + [
        running_backup.label('running_backup'),
        Status.status_id, Status.updated_at.label('status_updated_at'),
        Version.name.label('version_name'),
        Version.version.label('version_number'),
        Version.manager.label('version_manager'),
        Datastore.name.label('datastore_name')]
    joined = (Row.__table__
              .outerjoin(Status.__table__, Status.instance_id == Row.id)
              .outerjoin(Version.__table__,
                         Version.id == Row.datastore_version_id)
              .outerjoin(Datastore.__table__,
                         Datastore.id == Version.datastore_id))
    if detail:
        columns += [Fault.message.label('fault_message'),
                    Fault.details.label('fault_details'),
                    expressions.iso_seconds(Fault.created).label(
                        'fault_created'),
                    expressions.iso_seconds(Fault.updated).label(
                        'fault_updated'),
                    Configuration.name.label('configuration_name')]
        joined = (joined
                  .outerjoin(Fault.__table__,
                             sa.and_(Fault.instance_id == Row.id,
                                     Fault.deleted == sa.false()))
                  .outerjoin(Configuration.__table__,
                             Configuration.id == Row.configuration_id))
    query = (sa.select(*columns).select_from(joined)
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
        query = query.where(sa.or_(
            Row.created < marker_created,
            sa.and_(Row.created == marker_created, Row.id < marker)))
    return (query.order_by(Row.created.desc(), Row.id.desc())
            .limit(sa.bindparam('limit')))
