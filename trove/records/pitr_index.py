"""The archive index of point-in-time recovery, as the conductor writes it
from guest reports, and the restores made from it."""

from oslo_log import log as logging

from trove.db import api as db_api
from trove.db import models as db_models

LOG = logging.getLogger(__name__)

COLUMNS = ('kind', 'seq', 'location', 'checksum', 'size', 'server_id',
           'first_gtid', 'last_gtid', 'first_event', 'last_event',
           'closed_at', 'opened_at', 'state', 'reason')
STATES = ('archived', 'failed', 'missing')


def _value(column, value):
    if value is None:
        return None
    if column in ('seq', 'size'):
        return int(value)
    if column in ('first_event', 'last_event', 'closed_at', 'opened_at'):
        return float(value)
    return str(value)[:255] if column != 'location' else str(value)


def record(context, instance_id, entries):
    """Upsert the reported rows (``pruned`` ones are deleted); returns the
    entries that newly became missing."""
    lost = []
    with db_api.writer(context) as session:
        for entry in entries:
            name = entry.get('name')
            if not name:
                continue
            row = session.query(db_models.PitrArchive).filter_by(
                instance_id=instance_id, name=str(name)).first()
            if entry.get('state') == 'pruned':
                if row is not None:
                    session.delete(row)
                continue
            if entry.get('state') not in STATES:
                LOG.warning('Archive entry %s of %s has state %r; ignored',
                            name, instance_id, entry.get('state'))
                continue
            if row is None:
                row = db_models.PitrArchive(instance_id=instance_id,
                                            name=str(name))
                session.add(row)
            elif row.state == 'archived' and entry['state'] == 'failed':
                continue    # a retry that failed does not undo an upload
            if entry['state'] == 'missing' and row.state != 'missing':
                lost.append(entry)
            for column in COLUMNS:
                if column in entry:
                    setattr(row, column, _value(column, entry[column]))
    return lost


def archives_of(context, instance_id):
    with db_api.reader(context) as session:
        rows = session.query(db_models.PitrArchive).filter_by(
            instance_id=instance_id).all()
        session.expunge_all()
    return sorted(rows, key=lambda r: (r.seq if r.seq is not None else -1,
                                       r.closed_at or 0))


def create_restore(session, instance_id, source_instance_id, backup_id,
                   target):
    session.add(db_models.PitrRestore(
        instance_id=instance_id, source_instance_id=source_instance_id,
        backup_id=backup_id, target=target))


def restore_of(context, instance_id):
    with db_api.reader(context) as session:
        row = session.get(db_models.PitrRestore, instance_id)
        if row is not None:
            session.expunge(row)
        return row


def record_reached(context, instance_id, reached):
    with db_api.writer(context) as session:
        row = session.get(db_models.PitrRestore, instance_id)
        if row is None:
            LOG.warning('No point-in-time restore of %s to record',
                        instance_id)
            return
        row.reached = float(reached) if reached is not None else None
