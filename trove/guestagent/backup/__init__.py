"""Backups and restores in the guest agent.

The datastore managers call three functions, so their own code stays
thin: ``configure_engine`` before an engine's first start (PostgreSQL
archives its WAL), ``restore`` in place of initialising the data
directory when an instance is built from a backup, and ``create_backup``
for the RPC method of the same name. Strategies (one module per
datastore) know the tools; ``storage`` knows where backups live.

Nothing here imports the control plane (trove.db, trove.instance,
trove.taskmanager, trove.backup.models).
"""

import os
import threading

from oslo_log import log as logging
from oslo_utils import importutils

from trove.common import datastore_registry
from trove.conf import CONF
from trove.guestagent import errors

LOG = logging.getLogger(__name__)

STRATEGIES = datastore_registry.BACKUP_STRATEGIES


def strategy_class(manager_name):
    name = CONF.get(manager_name).backup_strategy
    path = STRATEGIES.get(name)
    if path is None:
        raise errors.NotSupported(
            'Backup strategy %r of datastore %s is not available in this '
            'guest agent (available: %s).'
            % (name, manager_name, ', '.join(sorted(STRATEGIES))))
    return importutils.import_class(path)


def configure_engine(manager):
    """Backup settings of the engine, before it first starts."""
    try:
        cls = strategy_class(manager.manager_name)
    except errors.NotSupported as error:
        LOG.info('No backups for this instance: %s', error.message)
        return
    cls(manager.engine, os.path.join(CONF.guest_state_dir,
                                     'backup-work')).configure()


def create_backup(manager, context, backup_info):
    from trove.guestagent.backup import runner
    try:
        cls = strategy_class(manager.manager_name)
    except errors.NotSupported as error:
        reporter = runner.Reporter(context, backup_info)
        from trove.common import backup_failure as failure
        from trove.common import states
        reporter.update(state=states.BackupState.FAILED,
                        description=failure.failed_description(
                            backup_info.get('description'), error.message))
        return
    runner.create_backup(manager, cls, context, backup_info)


def fail_interrupted():
    """At agent start: report backups a previous run left unfinished.

    In a thread of its own: a report is sent again while the broker has
    no conductor queue (trove.conductor.api), which must not hold up
    bringing the engine back."""
    from trove.common import context as trove_context
    from trove.guestagent.backup import runner

    def report():
        try:
            runner.fail_interrupted(trove_context.get_admin_context(
                project_id=CONF.tenant_id))
        except Exception:
            LOG.exception('Could not report interrupted backups')
    thread = threading.Thread(target=report, daemon=True,
                              name='fail-interrupted-backups')
    thread.start()
    return thread


def restore(manager, context, backup_info):
    from trove.guestagent.backup import restorer
    restorer.restore_backup(manager, strategy_class(
        manager.manager_name), context, backup_info)
