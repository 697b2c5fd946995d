"""JSON shapes of backups and backup strategies, as upstream's views.

Besides upstream's keys a backup shows ``project_id`` (upstream's view
has it, its list sample does not; the clients load every listed backup
again without it) and ``storage_driver`` (upstream's samples have it).
"""

import json

from trove.common import views


def backup_view(backup):
    view = {
        'id': backup.id,
        'name': backup.name,
        'description': backup.description,
        'locationRef': backup.location,
        'instance_id': backup.instance_id,
        'created': views.isotime(backup.created),
        'updated': views.isotime(backup.updated),
        'size': backup.size,
        'status': backup.state,
        'parent_id': backup.parent_id,
        'project_id': backup.tenant_id,
        'storage_driver': backup.storage_driver,
    }
    version = backup.datastore_version
    if backup.datastore_version_id and version is not None:
        view['datastore'] = {'type': version.datastore.name,
                             'version': version.name,
                             'version_id': version.id}
    return view


def backup_detail_view(backup):
    """The show view: also the last restore drill (extension keys the
    stock clients ignore)."""
    view = backup_view(backup)
    try:
        view['progress'] = json.loads(backup.progress) \
            if backup.progress else None
    except ValueError:
        view['progress'] = None
    view.update(last_verified_at=views.isotime(backup.last_verified_at),
                last_drill_rto_s=backup.last_drill_rto_s,
                last_drill_result=backup.last_drill_result,
                row_counts=_row_counts_summary(backup.row_counts))
    return view


def _row_counts_summary(text):
    """What the backup recorded of its tables, without every count: how
    they were counted, how many tables, which moved during the backup."""
    try:
        recorded = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(recorded, dict):
        return None
    return {'method': recorded.get('method'),
            'tables': len(recorded.get('tables') or {}),
            'changed_during_backup': recorded.get('changed') or [],
            'truncated': bool(recorded.get('truncated'))}


def strategy_view(strategy):
    return {
        'project_id': strategy.tenant_id,
        'instance_id': strategy.instance_id,
        'backend': strategy.backend,
        'swift_container': strategy.swift_container,
    }
