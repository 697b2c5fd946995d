"""RPC client of a guest agent, used by the API and the taskmanager.

Version ledger (server and client must agree; clients cap what they send
with ``[upgrade_levels] guestagent``):

* 1.0 - Initial version: prepare, restart, stop_db, get_filesystem_stats,
        resize_fs, databases/users/root, overrides, backups, logs, modules.
* 1.1 - ``ds_version`` in prepare and start_db_with_conf_changes;
        ``online`` in resize_fs.
* 1.2 - pre_create_backup / post_create_backup.
* 1.3 - ssl_show / ssl_action / ssl_rollback.
* 1.4 - Replication: get_replica_context, cleanup_source_on_replica_detach,
        attach_replica, detach_replica, make_read_only, get_last_txn,
        wait_for_txn, get_replication_status; prepare's ``snapshot``
        builds a replica.
* 1.5 - Clusters (Galera): install_cluster, cluster_complete,
        get_cluster_context, write_cluster_configuration,
        get_cluster_position, restart_cluster_member, stop_cluster_member,
        start_cluster_member;
        prepare's ``cluster_config`` prepares a member.
* 1.6 - Automatic failover: set_replication_mode (sync / async).
* 1.7 - guest_log_list / guest_log_action (guest logs); upgrade (restart
        the engine on another version of its datastore); module_list,
        module_apply, module_remove (modules).
* 1.8 - ``ssl`` in prepare: the instance's TLS mode and material
        (certificate, private_key, ca_certificate) before its engine's
        first start; ssl_show / ssl_action (declared in 1.3) are served,
        ssl_action's ``container`` carrying that material itself rather
        than a Barbican reference.

Calls wait at most ``agent_call_low_timeout`` or ``agent_call_high_timeout``;
a guest that does not answer becomes ``GuestTimeout`` and a remote failure
``GuestError``, so the API never hangs or leaks a traceback.
"""

import oslo_messaging as messaging
from oslo_log import log as logging

from trove.common import exception
from trove.common import rpc
from trove.common import sealed_messages
from trove.conf import CONF

LOG = logging.getLogger(__name__)

API_BASE_VERSION = '1.0'
API_LATEST_VERSION = '1.8'
VERSION_ALIASES = {
    'icehouse': '1.0', 'juno': '1.0', 'kilo': '1.0', 'liberty': '1.0',
    'mitaka': '1.0', 'newton': '1.0', 'ussuri': '1.0', 'victoria': '1.1',
    'epoxy': '1.2', 'hibiscus': '1.3',
}


def topic(instance_id):
    return 'guestagent.%s' % instance_id


class API:
    """Talks to the guest agent of one instance."""

    def __init__(self, context, instance_id):
        self.context = context
        self.instance_id = instance_id
        cap = rpc.version_cap('guestagent', VERSION_ALIASES,
                              API_LATEST_VERSION)
        self.client = rpc.get_client(
            topic(instance_id), cap, server=instance_id,
            serializer=sealed_messages.channel_serializer(instance_id))

    # Plumbing -----------------------------------------------------------
    def _call(self, method, timeout, version=API_BASE_VERSION, **kwargs):
        cctxt = self.client.prepare(version=version, timeout=timeout)
        try:
            return cctxt.call(self.context, method, **kwargs)
        except messaging.MessagingTimeout:
            raise exception.GuestTimeout(instance_id=self.instance_id,
                                         timeout=timeout)
        except messaging.RemoteError as error:
            raise exception.GuestError(original_message=error.value)
        except exception.TroveError:
            raise
        except Exception as error:
            LOG.exception('Call %s to guest %s failed', method,
                          self.instance_id)
            raise exception.GuestError(original_message=str(error))

    def _cast(self, method, version=API_BASE_VERSION, **kwargs):
        cctxt = self.client.prepare(version=version)
        try:
            cctxt.cast(self.context, method, **kwargs)
        except Exception as error:
            LOG.exception('Cast %s to guest %s failed', method,
                          self.instance_id)
            raise exception.GuestError(original_message=str(error))

    @staticmethod
    def _low():
        return CONF.agent_call_low_timeout

    @staticmethod
    def _high():
        return CONF.agent_call_high_timeout

    # Lifecycle ----------------------------------------------------------
    def declare_queue(self):
        """Create the guest's queue before its first message."""
        rpc.declare_queue(topic(self.instance_id), self.instance_id)

    def prepare(self, memory_mb, packages, databases, users, device_path,
                mount_point, backup_info, config_contents, root_password,
                overrides, cluster_config, snapshot, modules, ds_version,
                ssl=None):
        kwargs = dict(
            packages=packages, databases=databases, memory_mb=memory_mb,
            users=users, device_path=device_path, mount_point=mount_point,
            backup_info=backup_info, config_contents=config_contents,
            root_password=root_password, overrides=overrides,
            cluster_config=cluster_config, snapshot=snapshot,
            modules=modules)
        version = '1.1'
        if ssl and self.client.can_send_version('1.8'):
            kwargs.update(ds_version=ds_version, ssl=ssl)
            version = '1.8'
        elif ssl:
            raise exception.GuestError(original_message=(
                'The guest agents of this deployment are capped below 1.8 '
                '([upgrade_levels] guestagent) and cannot be prepared with '
                'TLS.'))
        elif self.client.can_send_version(version):
            kwargs['ds_version'] = ds_version
        else:
            version = API_BASE_VERSION
        self._cast('prepare', version=version, **kwargs)

    # TLS ------------------------------------------------------------------
    def ssl_show(self):
        return self._call('ssl_show', self._high(), version='1.8')

    def ssl_action(self, mode=None, container=None, enable=False,
                   disable=False):
        return self._call('ssl_action', self._high(), version='1.8',
                          mode=mode, container=container, enable=enable,
                          disable=disable)

    def restart(self):
        return self._call('restart', self._high())

    def stop_db(self):
        return self._call('stop_db', self._low(), version='1.1')

    def start_db_with_conf_changes(self, config_contents, ds_version):
        return self._call('start_db_with_conf_changes', self._high(),
                          version='1.1', config_contents=config_contents,
                          ds_version=ds_version)

    def reset_configuration(self, configuration):
        return self._call('reset_configuration', self._high(),
                          configuration=configuration)

    def get_volume_info(self, fs_path=None):
        return self._call('get_filesystem_stats', self._low(),
                          fs_path=fs_path)

    def resize_fs(self, device_path=None, mount_point=None, online=True):
        return self._call('resize_fs', self._high(), version='1.1',
                          device_path=device_path, mount_point=mount_point,
                          online=online)

    def guest_log_list(self):
        return self._call('guest_log_list', self._high(), version='1.7')

    def guest_log_action(self, log_name, enable=False, disable=False,
                         publish=False, discard=False):
        return self._call('guest_log_action', self._high(), version='1.7',
                          log_name=log_name, enable=enable, disable=disable,
                          publish=publish, discard=discard)

    def upgrade(self, upgrade_info):
        return self._call('upgrade', self._high(), version='1.7',
                          upgrade_info=upgrade_info)

    def module_list(self, include_contents=False):
        return self._call('module_list', self._high(), version='1.7',
                          include_contents=include_contents)

    def module_apply(self, modules):
        return self._call('module_apply', self._high(), version='1.7',
                          modules=modules)

    def module_remove(self, module):
        return self._call('module_remove', self._high(), version='1.7',
                          module=module)

    def rpc_ping(self):
        return self._call('rpc_ping', self._low())

    def get_hwinfo(self):
        return self._call('get_hwinfo', self._low())

    def get_diagnostics(self, checks=None):
        """``checks`` (optional, no new version: a guest that predates it
        refuses the argument) asks a restore drill's sandbox for its row
        counts and the user's query; those take the high timeout."""
        if checks:
            return self._call('get_diagnostics', self._high(), checks=checks)
        return self._call('get_diagnostics', self._low())

    # Databases, users and root ---------------------------------------------
    # Changes to databases and users are calls, not casts as upstream: the
    # API answers only once the engine has them, and a refusal (say, a user
    # that already exists) reaches the user as a 4xx.
    def create_database(self, databases):
        return self._call('create_database', self._high(),
                          databases=databases)

    def list_databases(self, limit=None, marker=None, include_marker=False):
        return self._call('list_databases', self._low(), limit=limit,
                          marker=marker, include_marker=include_marker)

    def delete_database(self, database):
        return self._call('delete_database', self._high(),
                          database=database)

    def create_user(self, users):
        return self._call('create_user', self._high(), users=users)

    def list_users(self, limit=None, marker=None, include_marker=False):
        return self._call('list_users', self._high(), limit=limit,
                          marker=marker, include_marker=include_marker)

    def get_user(self, username, hostname):
        return self._call('get_user', self._low(), username=username,
                          hostname=hostname)

    def delete_user(self, user):
        return self._call('delete_user', self._high(), user=user)

    def change_passwords(self, users):
        return self._call('change_passwords', self._high(), users=users)

    def update_attributes(self, username, hostname, user_attrs):
        return self._call('update_attributes', self._high(),
                          username=username, hostname=hostname,
                          user_attrs=user_attrs)

    def list_access(self, username, hostname):
        return self._call('list_access', self._low(), username=username,
                          hostname=hostname)

    def grant_access(self, username, hostname, databases):
        return self._call('grant_access', self._low(), username=username,
                          hostname=hostname, databases=databases)

    def revoke_access(self, username, hostname, database):
        return self._call('revoke_access', self._low(), username=username,
                          hostname=hostname, database=database)

    def enable_root(self):
        return self._call('enable_root', self._high())

    def enable_root_with_password(self, root_password=None):
        return self._call('enable_root_with_password', self._high(),
                          root_password=root_password)

    def disable_root(self):
        return self._call('disable_root', self._low())

    def is_root_enabled(self):
        return self._call('is_root_enabled', self._low())

    # Configuration -----------------------------------------------------------
    def update_overrides(self, overrides, remove=False, timeout=None):
        return self._call('update_overrides', timeout or self._high(),
                          overrides=overrides, remove=remove)

    def apply_overrides(self, overrides, timeout=None):
        return self._call('apply_overrides', timeout or self._high(),
                          overrides=overrides)

    # Backups -----------------------------------------------------------------
    def create_backup(self, backup_info):
        self._cast('create_backup', backup_info=backup_info)

    # Replication (1.4) ---------------------------------------------------------
    def get_replica_context(self, replica_id):
        """The source's address and an account (and slot) of the replica's
        own; holds secrets: never log it."""
        return self._call('get_replica_context', self._high(),
                          version='1.4', replica_id=replica_id)

    def cleanup_source_on_replica_detach(self, replica_id):
        return self._call('cleanup_source_on_replica_detach', self._high(),
                          version='1.4', replica_id=replica_id)

    def attach_replica(self, replica_info):
        """What the instance lost by joining (a PostgreSQL former primary
        rewound: the transactions its new source lacks, in words), or
        None (so do guests that never report it)."""
        return self._call('attach_replica', self._high(), version='1.4',
                          replica_info=replica_info)

    def detach_replica(self, for_failover=False):
        return self._call('detach_replica', self._high(), version='1.4',
                          for_failover=for_failover)

    def make_read_only(self, read_only=True):
        return self._call('make_read_only', self._high(), version='1.4',
                          read_only=read_only)

    def get_last_txn(self):
        return self._call('get_last_txn', self._low(), version='1.4')

    def wait_for_txn(self, txn, timeout):
        # The guest waits up to ``timeout``; the call a little longer.
        return self._call('wait_for_txn', timeout + self._low(),
                          version='1.4', txn=txn, seconds=timeout)

    def set_replication_mode(self, mode):
        return self._call('set_replication_mode', self._low(), version='1.6',
                          mode=mode)

    def get_replication_status(self, timeout=None):
        """The failover monitor asks with a short ``timeout``: a replica
        that cannot answer within it does not count."""
        return self._call('get_replication_status', timeout or self._low(),
                          version='1.4')

    # Clusters ---------------------------------------------------------------
    def install_cluster(self, admin_password, cluster_configuration,
                        bootstrap=False):
        # A joiner receives the whole data set: the long deadline.
        return self._call('install_cluster', self._high(), version='1.5',
                          admin_password=admin_password,
                          cluster_configuration=cluster_configuration,
                          bootstrap=bootstrap)

    def cluster_complete(self):
        return self._call('cluster_complete', self._low(), version='1.5')

    def get_cluster_context(self):
        return self._call('get_cluster_context', self._low(), version='1.5')

    def write_cluster_configuration(self, cluster_configuration):
        return self._call('write_cluster_configuration', self._low(),
                          version='1.5',
                          cluster_configuration=cluster_configuration)

    def get_cluster_position(self):
        # A killed member's position is read by running the server once.
        return self._call('get_cluster_position', self._high(),
                          version='1.5')

    def restart_cluster_member(self):
        return self._call('restart_cluster_member', self._high(),
                          version='1.5')

    def stop_cluster_member(self):
        return self._call('stop_cluster_member', self._high(),
                          version='1.5')

    def start_cluster_member(self, bootstrap=False):
        return self._call('start_cluster_member', self._high(),
                          version='1.5', bootstrap=bootstrap)
