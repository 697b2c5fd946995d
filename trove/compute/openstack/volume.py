"""Data volumes of the openstack provider: Cinder volumes in the service
project, attached through Nova.

A volume is named ``trove-<instance id>`` (upstream's name, which is how
a rebuilt taskmanager finds it again) with the instance id in its
metadata, of the request's volume type or ``cinder_volume_type``, in the
server's availability zone when ``enable_volume_az``. It is extended
while attached (Cinder 3.42+, ``online_volume_resize`` upstream), and the
guest finds it at the datastore's ``device_path`` and mounts it at its
``mount_point``. A volume that goes to ``error`` is reported with
Cinder's own user messages when it has them.

Every wait is bounded by ``volume_time_out``.
"""

from cinderclient import exceptions as cinder_exceptions
from novaclient import exceptions as nova_exceptions

from trove.common import exception
from trove.compute import base
from trove.compute.openstack import clients, faults
from trove.compute.openstack.compute import manager_of
from trove.compute.openstack.waits import wait_for, wait_gone
from trove.conf import CONF

NAME = 'trove-%s'
SETTLED = ('available', 'in-use', 'error', 'error_extending')


class CinderVolumeDriver(base.VolumeDriver):

    def __init__(self, session=None):
        self._session = session

    @property
    def cinder(self):
        return clients.cinder(self._session)

    @property
    def nova(self):
        return clients.nova(self._session)

    def volume_types(self, context):
        return [{'id': kind.id, 'name': kind.name,
                 'description': getattr(kind, 'description', None) or ''}
                for kind in self.cinder.volume_types.list()]

    # -- reading ------------------------------------------------------------------
    def _get(self, volume_id):
        try:
            return self.cinder.volumes.get(volume_id)
        except cinder_exceptions.NotFound as error:
            raise base.VolumeNotFound(volume_id=volume_id) from error

    @staticmethod
    def _volume(volume):
        attachments = volume.attachments or []
        return base.Volume(
            id=volume.id, size=int(volume.size), status=volume.status,
            volume_type=volume.volume_type,
            instance_id=(volume.metadata or {}).get(
                base.METADATA_INSTANCE_ID),
            attached_to=attachments[0]['server_id'] if attachments else None)

    def get_volume(self, context, volume_id):
        return self._volume(self._get(volume_id))

    def find_volumes(self, context, instance_id):
        return [self._volume(volume) for volume in self.cinder.volumes.list(
            search_opts={'metadata': {base.METADATA_INSTANCE_ID:
                                      instance_id}})]

    def _wait(self, volume_id, done, what):
        return wait_for(lambda: self._get(volume_id), done,
                        CONF.volume_time_out, what)

    def _user_messages(self, volume_id):
        try:
            return [message.user_message for message in
                    self.cinder.messages.list(
                        search_opts={'resource_uuid': volume_id})]
        except cinder_exceptions.ClientException:
            return []

    # -- lifecycle ------------------------------------------------------------------
    def create_volume(self, context, spec):
        self.validate(spec)
        zone = spec.availability_zone if CONF.enable_volume_az else None
        try:
            volume = self.cinder.volumes.create(
                spec.size, name=spec.name or NAME % spec.instance_id,
                description='datastore volume for %s' % spec.instance_id,
                volume_type=spec.volume_type or CONF.cinder_volume_type,
                availability_zone=zone,
                metadata={base.METADATA_INSTANCE_ID: spec.instance_id})
        except cinder_exceptions.ClientException as error:
            raise faults.cinder_error(error, '%s GB' % spec.size) from error
        settled = self._wait(volume.id,
                             lambda v: v.status in SETTLED,
                             'Creating the %s GB volume' % spec.size)
        if settled.status != 'available':
            raise exception.ComputeError(faults.volume_in_error(
                volume.id, spec.size, self._user_messages(volume.id)))
        return self._volume(settled)

    def _attachment(self, volume_id, server_id):
        server = self.nova.servers.get(server_id)
        manager = manager_of(server)
        group = CONF.get(manager) if manager else None
        return base.VolumeAttachment(
            volume_id=volume_id, server_id=server_id,
            device_path=getattr(group, 'device_path', None) or
            '/dev/' + CONF.block_device_mapping,
            mount_point=getattr(group, 'mount_point', None) or
            '/var/lib/trove/data')

    def _server_status(self, server_id):
        try:
            server = self.nova.servers.get(server_id)
        except nova_exceptions.NotFound as error:
            raise base.ServerNotFound(server_id=server_id) from error
        if server.status == 'ERROR':
            raise exception.ComputeError(faults.server_fault(
                getattr(server, 'fault', None)))
        return server.status

    def _settled_for(self, volume_id, server_id):
        """The volume once it is attached to the server (given at boot),
        or free while the server can take it; a server still building
        cannot be attached to."""
        def state():
            volume = self._get(volume_id)
            attached = [a['server_id'] for a in volume.attachments or []]
            if server_id in attached or volume.status.startswith('error'):
                return volume
            if volume.status == 'available' and \
                    self._server_status(server_id) != 'BUILD':
                return volume
            return None
        return wait_for(state, bool, CONF.usage_timeout,
                        'Server %s taking volume %s' % (server_id,
                                                        volume_id))

    def attach_volume(self, context, volume_id, server_id):
        volume = self._settled_for(volume_id, server_id)
        attached = [a['server_id'] for a in volume.attachments or []]
        if server_id not in attached:
            try:
                self.nova.volumes.create_server_volume(
                    server_id, volume_id,
                    '/dev/' + CONF.block_device_mapping)
            except nova_exceptions.NotFound as error:
                raise base.ServerNotFound(server_id=server_id) from error
            except nova_exceptions.ClientException as error:
                raise faults.nova_error(error) from error
        self._wait(volume_id, lambda v: v.status in ('in-use', 'error'),
                   'Attaching volume %s' % volume_id)
        return self._attachment(volume_id, server_id)

    def detach_volume(self, context, volume_id, server_id):
        volume = self._get(volume_id)
        if server_id not in [a['server_id'] for a in volume.attachments
                             or []]:
            return
        try:
            self.nova.volumes.delete_server_volume(server_id, volume_id)
        except nova_exceptions.NotFound:
            return
        except nova_exceptions.ClientException as error:
            raise faults.nova_error(error) from error
        self._wait(volume_id, lambda v: v.status in ('available', 'error'),
                   'Detaching volume %s' % volume_id)

    def extend_volume(self, context, volume_id, new_size):
        volume = self._get(volume_id)
        if int(new_size) <= int(volume.size):
            raise exception.ComputeError(
                'A volume can only grow: volume %s has %s GB, %s GB was '
                'asked.' % (volume_id, volume.size, new_size))
        try:
            self.cinder.volumes.extend(volume, int(new_size))
        except cinder_exceptions.ClientException as error:
            raise faults.cinder_error(error, volume.size) from error
        extended = self._wait(
            volume_id, lambda v: int(v.size) == int(new_size) and
            v.status in SETTLED, 'Extending volume %s' % volume_id)
        if extended.status.startswith('error'):
            raise exception.ComputeError(faults.volume_in_error(
                volume_id, new_size, self._user_messages(volume_id)))
        return self._volume(extended)

    def delete_volume(self, context, volume_id):
        volume = self._get(volume_id)
        if volume.status == 'in-use':
            raise exception.ComputeError(
                'Volume %s is attached; detach it before deleting it.'
                % volume_id)
        try:
            self.cinder.volumes.delete(volume)
        except cinder_exceptions.NotFound as error:
            raise base.VolumeNotFound(volume_id=volume_id) from error
        except cinder_exceptions.ClientException as error:
            raise faults.cinder_error(error) from error

        wait_gone(lambda: self.cinder.volumes.get(volume_id),
                  cinder_exceptions.NotFound, CONF.volume_time_out,
                  'Deleting volume %s' % volume_id)
