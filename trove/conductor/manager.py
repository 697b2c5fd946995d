"""RPC endpoints of the conductor: the only writer of guest-reported state.

Guest agents never reach the control database; they cast their
heartbeats, backup progress, root enablement and failures here. A message
not newer than the last one accepted for the same instance and method is
dropped, so late deliveries never regress a status.

Messages about an instance that has a key must come sealed with that key
by that instance (trove.common.sealed_messages): a plain one, one that
does not open, or one sealed by instance A naming instance B is dropped
and logged.
"""

import functools
import json

import oslo_messaging as messaging
import sqlalchemy as sa
from oslo_db import exception as db_exception
from oslo_log import log as logging

from trove.common import context as trove_context
from trove.common import sealed_messages
from trove.common import states
from trove.conductor import heartbeats
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import (events, faults, pitr_index, progress,
                           replication_sets, root_history)

LOG = logging.getLogger(__name__)

LastSeen = db_models.ConductorLastSeen


def _backup_end_message(backup):
    """The event of a backup the guest ended."""
    kind = backup.backup_type or 'full'
    if backup.state == states.BackupState.COMPLETED:
        size = (' (%.2f MB)' % backup.size) if backup.size else ''
        return 'The %s backup %s "%s" completed%s.' % (
            kind, backup.id, backup.name, size)
    return 'The %s backup %s "%s" ended %s: %s' % (
        kind, backup.id, backup.name, backup.state,
        backup.description or 'no reason given')


def _from_the_instance(endpoint):
    """Apply a guest's message only when it may speak for the instance it
    names (Manager._authentic); otherwise drop it, answering None."""
    @functools.wraps(endpoint)
    def checked(self, context, *args, **kwargs):
        # oslo.messaging passes every argument by name; tests pass some
        # by position.
        instance_id = kwargs['instance_id'] if 'instance_id' in kwargs \
            else args[0]
        if not self._authentic(context, instance_id, endpoint.__name__):
            return None
        return endpoint(self, context, *args, **kwargs)
    return checked


class Manager:
    target = messaging.Target(version='1.6')

    def __init__(self):
        self.heartbeats = heartbeats.HeartbeatRecorder(
            CONF.conductor_heartbeat_batch_interval,
            CONF.conductor_heartbeat_batch_size,
            CONF.conductor_heartbeat_steady_interval)
        self.heartbeats.start()
        self.keys = sealed_messages.KeyCache(_encrypted_key)

    def serializer(self):
        """What opens the sealed messages this manager receives."""
        return sealed_messages.OpeningSerializer(self.keys)

    def _authentic(self, context, instance_id, method_name):
        """Whether a message naming ``instance_id`` may be applied; logs
        why not."""
        error = getattr(context, 'seal_error', None)
        sender = getattr(context, 'sealed_sender', None)
        if error:
            LOG.warning('Dropped %s naming instance %s from sender %s: %s',
                        method_name, instance_id, sender, error)
            return False
        if sender is not None:
            if sender != instance_id:
                LOG.warning('Dropped %s sealed by instance %s but naming '
                            'instance %s: a guest reports only about its '
                            'own instance', method_name, sender, instance_id)
                return False
            return True
        try:
            has_key = self.keys.key(instance_id) is not None
        except sealed_messages.SealError:
            has_key = True
        if has_key:
            LOG.warning('Dropped plain %s naming instance %s: that instance '
                        'has a message key, its messages must be sealed',
                        method_name, instance_id)
            return False
        return True

    def stop(self):
        """Write the heartbeats still queued."""
        self.heartbeats.stop()

    def _message_too_old(self, context, instance_id, method_name, sent):
        """Whether a message is not newer than the last accepted one;
        records ``sent`` as the newest when it is accepted."""
        if sent is None:
            LOG.error('Message %s of %s has no "sent"; accepting it',
                      method_name, instance_id)
            return False
        sent = heartbeats.received_stamp(sent)
        if self._advance_last_seen(context, instance_id, method_name, sent):
            return False
        try:
            with db_api.writer(context) as session:
                session.add(LastSeen(instance_id=instance_id,
                                     method_name=method_name, sent=sent))
            return False
        except db_exception.DBDuplicateEntry:
            # Another message of the same method inserted the row first;
            # this one is accepted only if it is the newer of the two.
            if self._advance_last_seen(context, instance_id, method_name,
                                       sent):
                return False
        LOG.info('Dropping %s of %s sent at %f: a newer one was seen',
                 method_name, instance_id, sent)
        return True

    @staticmethod
    def _advance_last_seen(context, instance_id, method_name, sent):
        """Move the last-seen stamp forward to ``sent`` if it is older."""
        with db_api.writer(context) as session:
            return session.execute(
                sa.update(LastSeen)
                .where(LastSeen.instance_id == instance_id,
                       LastSeen.method_name == method_name,
                       sa.or_(LastSeen.sent < sent,
                              LastSeen.sent > sent
                              + CONF.conductor_clock_jump))
                .values(sent=sent)).rowcount > 0

    @_from_the_instance
    def replication_standing(self, context, instance_id):
        """(1.6) Asked by a starting guest: a fenced former primary
        starts its engine read-only (doc/failover.md)."""
        return replication_sets.standing(context, instance_id)

    @_from_the_instance
    def heartbeat(self, context, instance_id, payload, sent=None):
        if isinstance(payload, dict) and 'progress' in payload:
            # A restore's progress during prepare (a guest's optional
            # payload key): shown by the instance's view and event log.
            progress.record_restore(context, instance_id,
                                    payload['progress'])
            if not payload.get('service_status'):
                return
        status = None
        description = (payload or {}).get('service_status')
        if description:
            try:
                status = states.ServiceStatuses.from_description(description)
            except ValueError:
                LOG.warning('Instance %s reported unknown status %r',
                            instance_id, description)
        fault = (payload or {}).get('fault')
        if not isinstance(fault, dict) or not fault.get('message'):
            fault = None
        self.heartbeats.add(heartbeats.Heartbeat(
            instance_id, heartbeats.received_stamp(sent), status, fault))

    @_from_the_instance
    def update_backup(self, context, instance_id, backup_id, sent=None,
                      **backup_fields):
        if not self._backup_known(context, instance_id, backup_id):
            LOG.warning('Backup %s of instance %s is unknown here; ignoring '
                        'its update', backup_id, instance_id)
            return
        if self._message_too_old(context, instance_id, 'update_backup',
                                 sent):
            return
        # Columns of the backups table a guest may set, as upstream (which
        # sets any attribute the row has); a failed backup's reason comes
        # in its description.
        allowed = {'size', 'state', 'backup_type', 'checksum', 'location',
                   'backup_timestamp', 'description', 'progress',
                   'row_counts'}
        values = {k: v for k, v in backup_fields.items() if k in allowed}
        if 'row_counts' in values:
            # The tables' rows at backup time, for the restore drills.
            values['row_counts'] = json.dumps(values['row_counts']) \
                if values['row_counts'] else None
        if not values:
            return
        values['updated'] = db_models.utcnow()
        with db_api.writer(context) as session:
            backup = session.get(db_models.Backup, backup_id)
            if backup is None or backup.instance_id != instance_id:
                LOG.warning('Backup %s of instance %s is unknown; ignoring '
                            'its update', backup_id, instance_id)
                return
            if backup.state in states.BackupState.END_STATES:
                # A backup that ended stays as it ended: the taskmanager
                # may have failed it (its guest went silent) before a late
                # report from that guest arrives.
                LOG.warning('Backup %s already ended as %s; ignoring %s',
                            backup_id, backup.state, values.get('state'))
                return
            previous = progress.loads(backup.progress)
            for key, value in values.items():
                setattr(backup, key, value)
            if 'progress' in values:
                quarter = progress.quarter_passed(
                    previous, progress.loads(values['progress']))
                if quarter is not None:
                    events.record_in(session, None, instance_id,
                                     events.PROGRESS, progress.backup_message(
                                         backup, progress.loads(
                                             values['progress']), quarter),
                                     actor='system')
            if values.get('state') in states.BackupState.END_STATES:
                events.record_in(session, None, instance_id, events.BACKUP,
                                 _backup_end_message(backup),
                                 actor='system')
        if 'state' in values:
            LOG.info('Backup %s of instance %s is %s', backup_id,
                     instance_id, values['state'])

    @staticmethod
    def _backup_known(context, instance_id, backup_id):
        with db_api.reader(context) as session:
            backup = session.get(db_models.Backup, backup_id)
            return backup is not None and backup.instance_id == instance_id

    @_from_the_instance
    def report_root(self, context, instance_id, user=None):
        if not root_history.record_enabled(context, instance_id,
                                           user or context.user_id):
            LOG.warning('Root report of unknown instance %s ignored',
                        instance_id)

    @_from_the_instance
    def notify_end(self, context, instance_id, event_type, payload=None,
                   sent=None):
        LOG.info('%s of instance %s ended', event_type, instance_id)

    @_from_the_instance
    def notify_exc_info(self, context, instance_id, event_type, message,
                        details='', sent=None):
        LOG.warning('%s of instance %s failed: %s', event_type, instance_id,
                    message)
        faults.save_fault(context, instance_id, message, details)

    @_from_the_instance
    def pitr_archived(self, context, instance_id, entries, sent=None):
        noticed = []
        lost = pitr_index.record(context, instance_id, entries or [],
                                 noticed)
        for entry in noticed:
            events.record(context, instance_id, events.PITR,
                          pitr_index.notice(entry), actor='system')
        for entry in lost:
            faults.save_fault(
                context, instance_id,
                'Point-in-time recovery: %s; the restorable window has a '
                'gap there.' % entry.get('reason'), '')

    @_from_the_instance
    def pitr_restored(self, context, instance_id, reached=None, sent=None):
        pitr_index.record_reached(context, instance_id, reached)


def _encrypted_key(instance_id):
    """(whether the instance's row exists, its encrypted message key)."""
    context = trove_context.get_admin_context()
    with db_api.reader(context) as session:
        row = session.get(db_models.Instance, instance_id)
        return row is not None, row.encrypted_key if row is not None else None
