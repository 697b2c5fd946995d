"""The snapshot a replica is built from: a full backup of its source.

A snapshot is a backup row of the source instance (so its guest takes it
the way it takes every backup, and reports it through the conductor),
named for the replica it serves; it is removed — row and objects — once
the replica is built or its build failed. Nothing here reserves backup
quota: the snapshot is the system's, not the user's.
"""

import time

from oslo_log import log as logging
import sqlalchemy as sa

from trove.backup import storage as control_storage
from trove.common import exception, states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.guestagent import api as guest_api

LOG = logging.getLogger(__name__)

Row = db_models.Backup
BackupState = states.BackupState
POLL = 1.0


def start(context, source, replica_id):
    """Insert the snapshot's row and have the source's guest take it;
    returns the backup id, or None (nothing left behind) while an older
    backup of the source is unfinished."""
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        # A write on the source's row first: it serializes the snapshots
        # of one source (a row lock; SQLite's write lock), so of two
        # replicas requested together exactly one starts, the other sees
        # its backup unfinished and waits (the guest takes one at a time).
        session.execute(sa.update(db_models.Instance).where(
            db_models.Instance.id == source.id).values(
            updated=db_models.Instance.updated))
        if _unfinished(session, source.id):
            return None
        row = Row(name='Replication snapshot for %s' % replica_id,
                  description='Taken to build replica %s; removed once it '
                              'is built.' % replica_id,
                  tenant_id=source.tenant_id, instance_id=source.id,
                  state=BackupState.NEW, backup_type='full',
                  datastore_version_id=source.datastore_version_id,
                  storage_driver=CONF.storage_strategy,
                  created=now, updated=now)
        session.add(row)
        session.flush()
        backup_id = row.id
    info = {'id': backup_id, 'name': row.name, 'description': row.description,
            'instance_id': source.id, 'backup_type': 'full',
            'checksum': None, 'parent': None,
            'datastore': source.datastore_name,
            'datastore_version': source.datastore_version_name,
            'storage_driver': row.storage_driver, 'swift_container': None}
    if row.storage_driver == 'swift':
        info['swift_url'] = control_storage.swift_url(context)
    guest_api.API(context, source.id).create_backup(info)
    LOG.info('Snapshot %s of %s requested for replica %s', backup_id,
             source.id, replica_id)
    return backup_id


def _unfinished(session, instance_id):
    """Whether a backup of the instance is still being taken."""
    return session.query(Row.id).filter(
        Row.instance_id == instance_id, Row.deleted == sa.false(),
        Row.state.notin_(list(BackupState.END_STATES))).first() is not None


def start_when_free(flow, source, replica_id):
    """``start`` once no other backup of the source runs; returns the
    backup id."""
    deadline = time.monotonic() + CONF.agent_replication_snapshot_timeout
    while True:
        backup_id = start(flow.context, source, replica_id)
        if backup_id is not None:
            return backup_id
        if time.monotonic() >= deadline:
            raise exception.TroveError(
                'another backup of the source kept running for %d seconds'
                % CONF.agent_replication_snapshot_timeout)
        flow.check_cancelled()
        time.sleep(POLL)


def state_of(context, backup_id):
    with db_api.reader(context) as session:
        row = session.get(Row, backup_id)
        return (row.state, row.description) if row is not None \
            else (None, None)


def wait(flow, backup_id):
    """Until the snapshot COMPLETED; exception.BackupFileNotFound-like
    TroveError saying why otherwise (failed, gone, or too slow)."""
    deadline = time.monotonic() + CONF.agent_replication_snapshot_timeout
    while True:
        state, description = state_of(flow.context, backup_id)
        if state == BackupState.COMPLETED:
            return
        if state is None or state in BackupState.END_STATES:
            raise exception.TroveError(
                'the snapshot of the source failed: %s'
                % (description or state or 'it is gone'))
        if time.monotonic() >= deadline:
            raise exception.TroveError(
                'the snapshot of the source did not finish within %d '
                'seconds' % CONF.agent_replication_snapshot_timeout)
        flow.check_cancelled()
        time.sleep(POLL)


def remove(context, backup_id):
    """Delete the snapshot's objects and row; best effort (logged)."""
    with db_api.reader(context) as session:
        row = session.get(Row, backup_id)
    if row is None:
        return
    if row.location:
        try:
            control_storage.for_location(context, row.location,
                                         row.storage_driver).delete(
                row.location)
        except Exception as error:
            LOG.warning('Could not delete the objects of snapshot %s: %s',
                        backup_id, error)
    now = db_models.utcnow()
    with db_api.writer(context) as session:
        session.query(Row).filter(Row.id == backup_id).update(
            {'deleted': True, 'deleted_at': now, 'updated': now,
             'state': row.state if row.state in BackupState.END_STATES
             else BackupState.FAILED}, synchronize_session=False)
