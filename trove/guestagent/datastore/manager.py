"""RPC endpoints of the guest agent, shared by every datastore.

One ``Manager`` per agent serves the methods trove.guestagent.api sends
(names and arguments exactly as that client sends them). Engine work
goes through ``self.engine`` (a datastore.engine.Engine); operations that
change the engine's state hold ``self._lock``, and the periodic heartbeat
skips a beat while one runs (the operation reports its own statuses).

prepare never raises to the caller (it is a cast): any failure becomes
the heartbeat ``failed to spawn`` plus an instance fault whose message a
user can act on, and the agent stays up so the control plane can still
talk to it.
"""

import os
import threading
import traceback

from oslo_log import log as logging

from trove.common import failures
from trove.common.amqp_rpc import dispatch as rpc_target
from trove.common.states import ServiceStatuses
from trove.conf import CONF
from trove.guestagent import backup, errors, models, operating_system, volume
from trove.guestagent import guest_log
from trove.guestagent import modules as guest_modules
from trove.guestagent import status as guest_status
from trove.guestagent.datastore import configuration as guest_configuration
from trove.guestagent.datastore import probe_account
from trove.guestagent.datastore import table_checks
from trove.guestagent.datastore import replication_endpoints
from trove.guestagent.datastore import upgrade as datastore_upgrade

LOG = logging.getLogger(__name__)


def describe_failure(error):
    """(message, details) of a failed operation, for the instance fault."""
    trace = ''.join(traceback.format_exception(error))
    if isinstance(error, failures.ReportedFailure):
        details = error.details
        return error.message, (details + '\n\n' + trace) if details else trace
    text = str(error).strip().splitlines()
    summary = text[-1] if text else ''
    return ('Preparing the database failed: %s%s' % (
        type(error).__name__, ': ' + summary if summary else ''), trace)


def ensure_users(admin, users):
    """The users of a create request on a restored engine: the backup's
    data wins, as upstream -- a user it holds keeps its password and
    attributes and gets the access the request lists; the others are
    created. (``create_databases`` already leaves existing ones alone.)
    """
    restored = [user for user in users
                if admin.get_user(user.name, user.host) is not None]
    admin.create_users([user for user in users if user not in restored])
    for user in restored:
        LOG.info('User %s@%s came with the backup; granting it %s',
                 user.name, user.host, list(user.databases))
        admin.grant_access(user.name, user.host, list(user.databases))


class Manager(replication_endpoints.ReplicationEndpoints):
    """Base of every datastore manager; subclasses set ``engine_class``."""

    target = rpc_target.Target(version='1.8')
    manager_name = None
    engine_class = None
    # Whether this datastore's agent can be a cluster member (guest 1.5).
    serves_clusters = False

    def __init__(self):
        self.status = guest_status.StatusReporter()
        self.volume = volume.get_driver()
        self._engine = None
        self._lock = threading.RLock()
        self._preparing = threading.Event()

    @property
    def engine(self):
        if self._engine is None:
            self._engine = self.engine_class()
        return self._engine

    @property
    def overrides(self):
        """The engine's configuration overrides (configuration groups)."""
        if getattr(self, '_overrides', None) is None:
            self._overrides = guest_configuration.Overrides(
                self.engine,
                guest_configuration.conductor_fault_reporter(self.status))
        return self._overrides

    @property
    def guest_logs(self):
        if getattr(self, '_guest_logs', None) is None:
            self._guest_logs = guest_log.GuestLogs(self.engine,
                                                   self.manager_name)
        return self._guest_logs

    # Status ------------------------------------------------------------------
    def actual_status(self):
        alive = self.engine.is_alive()
        return guest_status.derive_status(
            prepare_failed=self.status.prepare_failed,
            process_alive=alive,
            query_ok=alive and self.engine.query_ok(),
            stopped_on_request=self.status.stopped_on_request)

    def update_status(self):
        """Periodic heartbeat, once prepare has ended."""
        if not self.status.prepare_ended:
            return
        if not self._lock.acquire(blocking=False):
            return      # an operation in progress reports for itself
        try:
            self.status.report(self.actual_status(),
                               fault=self._volume_full_fault())
        finally:
            self._lock.release()

    def _volume_full_fault(self):
        """The fault of a volume that just became full (once per time it
        fills, so the event log is not flooded), else None."""
        try:
            message = self.volume.full_message(self.engine.mount_point)
        except Exception as error:
            LOG.warning('Volume usage unknown: %s', error)
            return None
        was_full, self._volume_full = \
            getattr(self, '_volume_full', False), bool(message)
        if message and not was_full:
            LOG.error(message)
            return message
        return None

    def on_agent_start(self, holding=None):
        """A (re)started agent brings a prepared engine back up, unless
        it was stopped on request; it never re-initialises anything.

        ``holding`` (a threading.Event) is set once this holds the lock
        every engine change takes. The service serves RPC only then, so
        an operation that arrives at once (a failover's rejoin, which
        pings the agent and then attaches it) waits for the engine to be
        back instead of finding it down."""
        with self._lock:
            if holding is not None:
                holding.set()
            backup.fail_interrupted()
            if not self.status.is_prepared or \
                    self.status.stopped_on_request:
                return
            if self.engine.is_alive():
                LOG.info('%s is running (pid %s)',
                         self.engine.display_name, self.engine.pid())
            elif self._start_fenced():
                pass
            else:
                LOG.info('%s is not running; starting it',
                         self.engine.display_name)
                try:
                    self.overrides.start_engine()
                except errors.GuestAgentError as error:
                    LOG.error('Could not start %s: %s',
                              self.engine.display_name, error.message)
            self.status.report(self.actual_status())

    def _start_fenced(self):
        """A failed primary replaced by an automatic failover (the
        conductor says it is fenced) starts its engine read-only, or not
        at all, until the taskmanager makes it rejoin (doc/failover.md).
        Without an answer it starts as before: an instance that is not
        in a replica set must come back."""
        try:
            standing = self.status.conductor.replication_standing(
                self.status.instance_id)
        except Exception as error:      # an older conductor, or none yet
            LOG.warning('No replication standing from the conductor: %s',
                        error)
            return False
        if not standing or not standing.get('fenced'):
            return False
        LOG.warning('This instance is a fenced former primary (epoch %s): '
                    'its engine takes no client write',
                    standing.get('fenced_epoch'))
        try:
            self.replication.start_fenced(standing.get('mode'))
        except Exception as error:      # reported by its status; it rejoins
            LOG.error('Could not start fenced: %s', error)
        return True

    # prepare -----------------------------------------------------------------
    def prepare(self, context, packages=None, databases=None, memory_mb=None,
                users=None, device_path=None, mount_point=None,
                backup_info=None, config_contents=None, root_password=None,
                overrides=None, cluster_config=None, snapshot=None,
                modules=None, ds_version=None, ssl=None):
        if self._preparing.is_set():
            # The taskmanager sends prepare again when it heard nothing
            # from the agent (a message lost in a broker restart): one
            # prepare runs, a duplicate must not wait for it and run again.
            LOG.warning('Ignoring prepare: a prepare is running')
            return
        with self._lock:
            if self.status.is_prepared:
                LOG.warning('Ignoring prepare: this instance is prepared')
                return
            self._preparing.set()
            try:
                self._prepare(
                    context, packages=packages, databases=databases,
                    memory_mb=memory_mb, users=users,
                    device_path=device_path, mount_point=mount_point,
                    backup_info=backup_info, config_contents=config_contents,
                    root_password=root_password, overrides=overrides,
                    cluster_config=cluster_config, snapshot=snapshot,
                    modules=modules, ssl=ssl)
            finally:
                self._preparing.clear()

    def _prepare(self, context, packages, databases, memory_mb, users,
                 device_path, mount_point, backup_info, config_contents,
                 root_password, overrides, cluster_config, snapshot, modules,
                 ssl):
        self.status.begin_install()
        try:
            self.use_volume(device_path, mount_point)
            if ssl:
                # Before the first start: the engine never listens
                # without the TLS it was created with.
                self.engine.tls.install(ssl.get('mode'), ssl)
            LOG.info('Preparing %s (mount point %s)', self.manager_name,
                     self.engine.mount_point)
            self.do_prepare(
                databases=models.databases_from(databases),
                users=models.users_from(users),
                config_contents=config_contents,
                root_password=root_password, overrides=overrides,
                backup_info=backup_info, snapshot=snapshot,
                cluster_config=cluster_config, context=context)
        except Exception as error:
            message, details = describe_failure(error)
            LOG.error('Prepare failed: %s\n%s', message, details)
            self.status.fail_install(message, details)
            return
        self.status.mark_stopped(False)
        self.status.end_install(self.actual_status())
        LOG.info('Prepare finished')
        if modules:
            # As upstream: a module that fails is reported by
            # module-query, the instance is ready anyway.
            guest_modules.ModuleManager().apply(modules)

    def use_volume(self, device_path, mount_point):
        """The provider says where the data volume is: remember it for
        every later start of this agent."""
        if not (device_path or mount_point):
            return
        volume.remember_attachment(device_path, mount_point)
        self.volume = volume.get_driver()
        self._engine = None     # it read the old mount point

    def do_prepare(self, databases, users, config_contents, root_password,
                   overrides, backup_info, snapshot, cluster_config,
                   context=None):
        if cluster_config and not self.serves_clusters:
            raise errors.NotSupported(
                'Clustering is not supported by the %s guest agent yet.'
                % self.manager_name)
        engine = self.engine
        engine.check_installed()
        engine.prepare_volume()
        engine.write_base_config(config_contents)
        self.overrides.write(overrides or {})
        backup.configure_engine(self)
        if snapshot:
            # Data, accounts and databases are the source's.
            self.prepare_replica(context, snapshot)
            return
        if backup_info:
            backup.restore(self, context, backup_info)
        elif not engine.is_initialized():
            engine.initialize()
        self.overrides.start_engine()
        engine.secure()
        admin = engine.admin()
        admin.create_databases(databases)
        if backup_info:
            ensure_users(admin, users)
        else:
            admin.create_users(users)
        if root_password and not backup_info:
            admin.enable_root(root_password)
            self.status.report_root_enabled(
                getattr(context, 'user_id', None))
        probe_account.ensure(self.manager_name, admin)

    # Backups -----------------------------------------------------------------
    def create_backup(self, context, backup_info):
        # Not under self._lock: heartbeats go on while a backup runs.
        backup.create_backup(self, context, backup_info)

    # Engine lifecycle ------------------------------------------------------
    def restart(self, context):
        with self._lock:
            self.status.report(ServiceStatuses.RESTARTING)
            try:
                self.engine.stop()
                self.overrides.start_engine()
                self.status.mark_stopped(False)
            finally:
                self.status.report(self.actual_status())

    def stop_db(self, context, do_not_start_on_reboot=False):
        with self._lock:
            try:
                self.engine.stop()
                self.status.mark_stopped(True)
            finally:
                self.status.report(self.actual_status())

    def start_db_with_conf_changes(self, context, config_contents,
                                   ds_version=None):
        with self._lock:
            self.engine.write_base_config(config_contents)
            if self.engine.is_alive():
                self.status.report(ServiceStatuses.RESTARTING)
                self.engine.stop()
            try:
                self.overrides.start_engine()
                self.status.mark_stopped(False)
            finally:
                self.status.report(self.actual_status())

    def reset_configuration(self, context, configuration):
        with self._lock:
            self.engine.write_base_config(
                (configuration or {}).get('config_contents'))

    # TLS ----------------------------------------------------------------------
    def ssl_show(self, context):
        return self.engine.tls.show()

    def ssl_action(self, context, mode=None, container=None, enable=False,
                   disable=False):
        """Turn TLS on in ``mode`` with the material of ``container``
        (certificate, private_key, ca_certificate: PEM text), or off;
        the engine restarts with it if it runs."""
        with self._lock:
            if disable:
                self.engine.tls.remove()
            else:
                self.engine.tls.install(mode or 'basic', container)
            self.engine.write_tls_config()
            if self.engine.is_alive() and not self.status.stopped_on_request:
                self.status.report(ServiceStatuses.RESTARTING)
                try:
                    self.engine.stop()
                    self.overrides.start_engine()
                    self.engine.apply_tls_to_accounts()
                finally:
                    self.status.report(self.actual_status())
            return self.engine.tls.show()

    # Configuration groups ----------------------------------------------------
    def update_overrides(self, context, overrides, remove=False):
        with self._lock:
            self.overrides.update(overrides, remove=remove)

    def apply_overrides(self, context, overrides):
        with self._lock:
            return self.overrides.apply(overrides)

    # Volume and host -------------------------------------------------------
    def get_filesystem_stats(self, context, fs_path=None):
        # The agent's own mount point is the data volume, whatever
        # generic path the controller passes.
        return self.volume.stats(self.engine.mount_point)

    def resize_fs(self, context, device_path=None, mount_point=None,
                  online=True):
        # The paths prepare was given win over a caller's generic ones.
        device_path = CONF.get(self.manager_name).device_path or device_path
        return self.volume.resize(device_path, self.engine.mount_point,
                                  online=online)

    # Guest logs ------------------------------------------------------------
    def guest_log_list(self, context):
        return self.guest_logs.list()

    def guest_log_action(self, context, log_name, enable=False,
                         disable=False, publish=False, discard=False):
        return self.guest_logs.action(log_name, enable=enable,
                                      disable=disable, publish=publish,
                                      discard=discard, context=context)

    def upgrade(self, context, upgrade_info):
        with self._lock:
            return datastore_upgrade.upgrade(self, upgrade_info)

    # Modules ------------------------------------------------------------------
    def module_list(self, context, include_contents=False):
        return guest_modules.ModuleManager().list(include_contents)

    def module_apply(self, context, modules=None):
        return guest_modules.ModuleManager().apply(modules or [])

    def module_remove(self, context, module=None):
        guest_modules.ModuleManager().remove(module)

    def rpc_ping(self, context):
        return True

    def get_hwinfo(self, context):
        return {'mem_total': operating_system.memory_total_kb(),
                'num_cpus': os.cpu_count() or 1}

    def get_diagnostics(self, context, checks=None):
        """The agent's process figures; with ``checks`` (a restore drill:
        ``row_counts`` method, ``query``, ``database``) also their
        results under ``checks`` (trove.guestagent.datastore.table_checks)."""
        values = operating_system.process_diagnostics()
        values['version'] = CONF.datastore_version or ''
        if checks:
            values['checks'] = table_checks.check(self.engine, checks)
        return values
