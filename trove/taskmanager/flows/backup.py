"""Backups in the taskmanager: hand-off to the guest, deletion, reaping.

* ``CreateBackupFlow``: the API wrote the row (NEW) and the work (its
  ``backup_info``) and cast here; the guest gets ``backup_info`` plus the
  caller's Swift URL, and reports the progress itself through the
  conductor. If the guest cannot be told, the backup is FAILED at once
  with the reason. A lost cast is picked up by the work sweep.
* ``DeleteBackupFlow``: the API marked the rows deleted and released the
  quota; the objects (Swift or local) are removed here. A RESTORED
  backup's object belongs to someone else and is never removed. A
  failure is logged and recorded as DELETE_FAILED on the row. The
  archived logs only that backup needed (past their retention) go too.
* ``check_stuck_backups`` (periodic): a backup still NEW/BUILDING/SAVING
  whose guest stopped heart-beating (and does not answer a ping: silence
  may be the conductor's; nor reports while it is pinged: silence may
  be the broker's, restarting), whose instance is gone, or which
  ran past ``backup_timeout`` becomes FAILED with the reason in its
  description, so no backup stays running forever.
"""

import datetime

import sqlalchemy as sa
from oslo_log import log as logging

from trove.common import backup_failure as failure
from trove.backup import storage as control_storage
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.guestagent import api as guest_api
from trove.records import events
from trove.records import progress
from trove import storage as backup_storage
from trove.taskmanager import pitr_retention
from trove.taskmanager.flows import base

LOG = logging.getLogger(__name__)

Row = db_models.Backup
BackupState = states.BackupState
# Beyond backup_timeout: the guest reports its own timeout a little after
# it passes.
GRACE_SECONDS = 60


def mark_failed(context, backup_id, reason, only_running=True):
    """FAILED with ``reason`` (appended to the description); only if the
    backup is still running, so a late guest report is never undone."""
    with db_api.writer(context) as session:
        row = session.get(Row, backup_id)
        if row is None:
            return False
        if only_running and row.state not in BackupState.RUNNING_STATES:
            return False
        query = sa.update(Row).where(Row.id == backup_id)
        if only_running:
            query = query.where(Row.state.in_(BackupState.RUNNING_STATES))
        changed = session.execute(query.values(
            state=BackupState.FAILED, updated=db_models.utcnow(),
            description=failure.failed_description(row.description,
                                                   reason))).rowcount
        if changed and row.instance_id:
            events.record_in(session, context, row.instance_id,
                             events.BACKUP, 'The backup %s "%s" failed: %s.'
                             % (backup_id, row.name, reason),
                             actor='system')
    if changed:
        LOG.warning('Backup %s failed: %s', backup_id, reason)
    return bool(changed)


class HandToGuest(base.Step):
    name = 'hand_to_guest'

    def run(self, flow):
        info = dict(flow.work.args['backup_info'])
        if info.get('storage_driver') == 'swift':
            # The caller's token, at the time of the hand-off.
            info['swift_url'] = control_storage.swift_url(flow.context)
        guest_api.API(flow.context, flow.instance_id).create_backup(info)
        LOG.info('Backup %s of instance %s handed to its guest',
                 flow.resource_id, flow.instance_id)


class CreateBackupFlow(base.Flow):
    """The API wrote the row (NEW) and the work; the guest takes the
    backup and reports its progress itself through the conductor."""

    name = 'create_backup'
    resource_type = 'backup'
    steps = (HandToGuest(),)

    @property
    def instance_id(self):
        return self.work.args['instance_id']

    def on_failed(self, failure):
        mark_failed(self.context, self.resource_id,
                    'the guest agent could not be asked to take it (%s)'
                    % failure.message)


class DeleteObjects(base.Step):
    name = 'delete_objects'

    def run(self, flow):
        with db_api.reader(flow.context) as session:
            row = session.get(Row, flow.resource_id)
        if row is None or not row.location:
            return
        if row.state == BackupState.RESTORED:
            LOG.info('Backup %s was registered from %s; its object is kept',
                     row.id, row.location)
            return
        storage = control_storage.for_location(
            flow.context, row.location, row.storage_driver)
        storage.delete(row.location)


class PruneArchive(base.Step):
    """The archived logs only this backup needed, past their retention,
    go with it (doc/pitr.md)."""

    name = 'prune_archive'

    def run(self, flow):
        with db_api.reader(flow.context) as session:
            row = session.get(Row, flow.resource_id)
            instance_id = row.instance_id if row is not None else None
        if not instance_id:
            return
        try:
            pitr_retention.prune_instance(flow.context, instance_id)
        except Exception:
            # The backup is gone; the periodic check prunes later.
            LOG.exception('Pruning the archive of %s after deleting backup '
                          '%s failed', instance_id, flow.resource_id)


class DeleteBackupFlow(base.Flow):
    """The API marked the rows deleted and released the quota; the
    objects (Swift or local) are removed here, and the archived logs only
    this backup needed. A RESTORED backup's object belongs to someone
    else and is never removed. A failure is logged and recorded as
    DELETE_FAILED on the row."""

    name = 'delete_backup'
    resource_type = 'backup'
    steps = (DeleteObjects(), PruneArchive())

    def on_failed(self, failure):
        LOG.error('Could not delete the object of backup %s: %s',
                  self.resource_id, failure.message)
        with db_api.writer(self.context) as session:
            session.execute(sa.update(Row).where(Row.id == self.resource_id)
                            .values(state=BackupState.DELETE_FAILED))


def restore_info(context, backup):
    """The ``backup_info`` of a prepare restoring ``backup`` (row)."""
    info = {'id': backup.id, 'instance_id': backup.instance_id,
            'location': backup.location, 'type': backup.backup_type,
            'checksum': backup.checksum,
            'storage_driver': backup.storage_driver}
    if (backup.storage_driver or backup_storage.driver_of(
            backup.location)) == 'swift':
        info['swift_url'] = control_storage.swift_url(context)
    size = chain_bytes(context, backup)
    if size:
        # What the guest's restore progress is measured against.
        info['bytes'] = size
    return info


def chain_bytes(context, backup, limit=1000):
    """Stored bytes of ``backup`` and its parents (the final
    ``bytes_written`` of each), or None if one of them is unknown."""
    total, row, seen = 0, backup, set()
    while row is not None and row.id not in seen and len(seen) < limit:
        seen.add(row.id)
        written = (progress.loads(row.progress) or {}).get('bytes_written')
        if not isinstance(written, int) or written <= 0:
            return None
        total += written
        if not row.parent_id:
            return total
        with db_api.reader(context) as session:
            row = session.get(db_models.Backup, row.parent_id)
    return None


def _seconds_ago(seconds):
    return db_models.utcnow() - datetime.timedelta(seconds=seconds)


def _guest_answers(context, instance_id):
    """Whether the agent answers a ping. Heartbeats reach the control DB
    only through the conductor: when the conductor is down (or its queue
    backed up) every guest looks silent, and a backup still running on a
    live agent must not be failed for it; its results wait in the queue."""
    try:
        guest_api.API(context, instance_id).rpc_ping()
    except Exception as error:
        LOG.info('Agent of instance %s does not answer a ping: %s',
                 instance_id, error)
        return False
    return True


def _last_reports(context, backup_id, instance_id):
    """(the instance's last heartbeat, the backup's last update) as the
    control DB has them now."""
    with db_api.reader(context) as session:
        heartbeat = session.scalar(
            sa.select(db_models.ServiceStatusRecord.updated_at).where(
                db_models.ServiceStatusRecord.instance_id == instance_id))
        row = session.get(Row, backup_id)
        updated = (row.updated or row.created) if row is not None else None
    return heartbeat, updated


def _silent(context, backup_id, instance_id, heartbeat, updated):
    """Whether the agent of a backup whose reports stopped is silent: it
    does not answer a ping, and nothing came from it while it was
    pinged. A ping made around a broker restart waits for the broker and
    then for the reply queues to come back, and may fail while the
    agent's heartbeats are recorded again: what was read before the
    ping is stale by then (it was the broker's silence, not the
    agent's)."""
    answered = _guest_answers(context, instance_id)
    heartbeat_now, updated_now = _last_reports(context, backup_id,
                                               instance_id)
    reported = ((heartbeat_now is not None and heartbeat_now > heartbeat)
                or (updated_now is not None and updated_now > updated))
    if reported:
        LOG.info('Instance %s reported again while its agent was pinged',
                 instance_id)
        return False
    if answered:
        LOG.warning('No heartbeat of instance %s recorded for %d seconds, '
                    'but its agent answers: is the conductor running?',
                    instance_id, CONF.agent_heartbeat_expiry)
        return False
    return True


def check_stuck_backups(context):
    """Fail running backups that can no longer end; returns their ids."""
    Instance = db_models.Instance
    Status = db_models.ServiceStatusRecord
    with db_api.reader(context) as session:
        running = session.query(
            Row.id, Row.created, Row.updated, Instance.id, Instance.deleted,
            Status.updated_at).outerjoin(
            Instance, Instance.id == Row.instance_id).outerjoin(
            Status, Status.instance_id == Row.instance_id).filter(
            Row.deleted == sa.false(),
            Row.state.in_(BackupState.RUNNING_STATES)).all()
    deadline = _seconds_ago(CONF.backup_timeout + GRACE_SECONDS)
    silent_since = _seconds_ago(CONF.agent_heartbeat_expiry)
    failed = []
    for (backup_id, created, updated, instance_id, instance_deleted,
         heartbeat) in running:
        reason = None
        if instance_id is None or instance_deleted:
            reason = 'its instance was deleted while it ran'
        elif created is not None and created < deadline:
            reason = ('it did not finish within %d seconds'
                      % CONF.backup_timeout)
        elif (heartbeat is not None and heartbeat < silent_since
              and (updated or created) < silent_since
              and _silent(context, backup_id, instance_id, heartbeat,
                          updated or created)):
            reason = ('the guest agent of the instance stopped reporting '
                      'while it ran (no heartbeat for %d seconds)'
                      % CONF.agent_heartbeat_expiry)
        if reason and mark_failed(context, backup_id, reason):
            failed.append(backup_id)
    return failed
