"""RPC client of the taskmanager, used by the API.

Version ledger:

* 1.0 - Initial version: create_instance, delete_instance, restart,
        resize_volume, resize_flavor, reboot, create_backup,
        delete_backup, update_overrides..., all casts.
* 1.1 - update_configuration: apply a changed configuration group to
        one attached instance.
* 1.2 - Work claims: every cast names work the API recorded in the
        claims table, and carries ids and secrets only. create_instance
        takes instance_id, users and root_password (the rest is read from
        the control DB); resize_volume, resize_flavor and create_backup
        take the resource ids (sizes, flavors and backup_info are the
        work's arguments).

* 1.3 - Replication: create_replica (an instance id or a list),
        detach_replica, promote_to_replica_source, eject_replica_source,
        each naming work the API recorded.
* 1.4 - Clusters: create_cluster, delete_cluster, grow_cluster,
        shrink_cluster, restart_cluster, upgrade_cluster (upstream's
        names and arguments), each naming work the API recorded.
* 1.5 - Automatic failover: set_replication_mode (the mode recorded on
        a primary, applied to every member of its set; no work claimed).
* 1.6 - Management: rebuild (the image id is the work's argument);
        upgrade (the datastore version id is the work's argument).

Every method is a cast: the API records the intent (task, rows, the
work) and answers; a taskmanager claims the work and ends it in a
terminal state. A lost cast is only a delay: the sweep of any
taskmanager takes the work over.
"""

from trove.common import rpc
from trove.conf import CONF

API_BASE_VERSION = '1.0'
API_LATEST_VERSION = '1.6'
VERSION_ALIASES = {'icehouse': '1.0', 'juno': '1.0', 'kilo': '1.0',
                   'liberty': '1.0', 'mitaka': '1.0', 'newton': '1.0'}


class API:

    def __init__(self, context):
        self.context = context
        cap = rpc.version_cap('taskmanager', VERSION_ALIASES,
                              API_LATEST_VERSION)
        self.client = rpc.get_client(CONF.taskmanager_queue, cap)

    def _cast(self, method, version=API_BASE_VERSION, **kwargs):
        cctxt = self.client.prepare(version=version)
        cctxt.cast(self.context, method, **kwargs)

    def create_instance(self, instance_id, users=None, root_password=None):
        self._cast('create_instance', version='1.2', instance_id=instance_id,
                   users=users or [], root_password=root_password)

    def delete_instance(self, instance_id):
        self._cast('delete_instance', instance_id=instance_id)

    def restart(self, instance_id):
        self._cast('restart', instance_id=instance_id)

    def reboot(self, instance_id):
        self._cast('reboot', instance_id=instance_id)

    def resize_volume(self, instance_id):
        self._cast('resize_volume', version='1.2', instance_id=instance_id)

    def resize_flavor(self, instance_id):
        self._cast('resize_flavor', version='1.2', instance_id=instance_id)

    def create_backup(self, backup_id, instance_id):
        self._cast('create_backup', version='1.2', backup_id=backup_id,
                   instance_id=instance_id)

    def delete_backup(self, backup_id):
        self._cast('delete_backup', backup_id=backup_id)

    def update_configuration(self, instance_id, configuration_id):
        self._cast('update_configuration', version='1.1',
                   instance_id=instance_id,
                   configuration_id=configuration_id)

    def create_replica(self, instance_ids):
        self._cast('create_replica', version='1.3', instance_id=instance_ids)

    def detach_replica(self, instance_id):
        self._cast('detach_replica', version='1.3', instance_id=instance_id)

    def promote_to_replica_source(self, instance_id):
        self._cast('promote_to_replica_source', version='1.3',
                   instance_id=instance_id)

    def set_replication_mode(self, instance_id):
        self._cast('set_replication_mode', version='1.5',
                   instance_id=instance_id)

    def eject_replica_source(self, instance_id):
        self._cast('eject_replica_source', version='1.3',
                   instance_id=instance_id)

    def create_cluster(self, cluster_id):
        self._cast('create_cluster', version='1.4', cluster_id=cluster_id)

    def delete_cluster(self, cluster_id):
        self._cast('delete_cluster', version='1.4', cluster_id=cluster_id)

    def grow_cluster(self, cluster_id, new_instance_ids):
        self._cast('grow_cluster', version='1.4', cluster_id=cluster_id,
                   new_instance_ids=new_instance_ids)

    def shrink_cluster(self, cluster_id, instance_ids):
        self._cast('shrink_cluster', version='1.4', cluster_id=cluster_id,
                   instance_ids=instance_ids)

    def restart_cluster(self, cluster_id):
        self._cast('restart_cluster', version='1.4', cluster_id=cluster_id)

    def upgrade_cluster(self, cluster_id, datastore_version_id):
        self._cast('upgrade_cluster', version='1.4', cluster_id=cluster_id,
                   datastore_version_id=datastore_version_id)

    def rebuild(self, instance_id, image_id=None):
        self._cast('rebuild', version='1.6', instance_id=instance_id)

    def upgrade(self, instance_id, datastore_version_id=None):
        self._cast('upgrade', version='1.6', instance_id=instance_id)
