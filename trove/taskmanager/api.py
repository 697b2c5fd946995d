"""RPC client of the taskmanager, used by the API.

Version ledger:

* 1.0 - Initial version: create_instance, delete_instance, restart,
        resize_volume, resize_flavor, reboot, create_backup,
        delete_backup, update_overrides..., all casts.
* 1.1 - update_configuration: apply a changed configuration group to
        one attached instance.

Every method is a cast: the API records the intent (task, rows) and
answers; the taskmanager does the work and ends in a terminal state.
"""

from trove.common import rpc
from trove.conf import CONF

API_BASE_VERSION = '1.0'
API_LATEST_VERSION = '1.1'
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

    def create_instance(self, instance_id, name, flavor, image_id,
                        databases, users, datastore_manager, packages,
                        volume_size, backup_id=None, availability_zone=None,
                        root_password=None, nics=None, overrides=None,
                        slave_of_id=None, cluster_config=None,
                        volume_type=None, modules=None, locality=None,
                        access=None, ds_version=None):
        self._cast('create_instance', instance_id=instance_id, name=name,
                   flavor=flavor, image_id=image_id, databases=databases,
                   users=users, datastore_manager=datastore_manager,
                   packages=packages, volume_size=volume_size,
                   backup_id=backup_id, availability_zone=availability_zone,
                   root_password=root_password, nics=nics,
                   overrides=overrides, slave_of_id=slave_of_id,
                   cluster_config=cluster_config, volume_type=volume_type,
                   modules=modules, locality=locality, access=access,
                   ds_version=ds_version)

    def delete_instance(self, instance_id):
        self._cast('delete_instance', instance_id=instance_id)

    def restart(self, instance_id):
        self._cast('restart', instance_id=instance_id)

    def reboot(self, instance_id):
        self._cast('reboot', instance_id=instance_id)

    def resize_volume(self, new_size, instance_id):
        self._cast('resize_volume', new_size=new_size,
                   instance_id=instance_id)

    def resize_flavor(self, instance_id, old_flavor, new_flavor):
        self._cast('resize_flavor', instance_id=instance_id,
                   old_flavor=old_flavor, new_flavor=new_flavor)

    def create_backup(self, backup_info, instance_id):
        self._cast('create_backup', backup_info=backup_info,
                   instance_id=instance_id)

    def delete_backup(self, backup_id):
        self._cast('delete_backup', backup_id=backup_id)

    def update_configuration(self, instance_id, configuration_id):
        self._cast('update_configuration', version='1.1',
                   instance_id=instance_id,
                   configuration_id=configuration_id)
