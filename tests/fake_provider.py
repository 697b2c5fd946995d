"""An in-memory provider bundle for tests of the taskmanager's flows.

It keeps the promises of trove.compute.base (it runs the provider
contract suite, tests/contract, like the real providers), so a flow
tested against it behaves the same against them: servers boot to ACTIVE
after ``boot_polls`` reads, ids are the provider's own, volumes attach
and report paths, deletes are final. ``fail_next`` makes the next call
of a method raise, to test a flow's failure paths.
"""

import threading
import uuid

from trove.common import exception, states
from trove.compute import base


class FakeCompute(base.ComputeDriver):

    def __init__(self, volumes, boot_polls=0):
        self.volumes = volumes
        self.boot_polls = boot_polls
        self.servers = {}
        self.groups = {}
        self.failures = {}
        self.calls = []
        self._lock = threading.Lock()

    def _called(self, method, *args):
        with self._lock:
            self.calls.append((method,) + args)
            error = self.failures.pop(method, None)
        if error is not None:
            raise error

    def fail_next(self, method, error):
        self.failures[method] = error

    def capabilities(self):
        return base.Capabilities(provider='fake',
                                 availability_zones=('zone-a', 'zone-b'),
                                 nics=True, locality_policies=('affinity',),
                                 public_access=True)

    def _get(self, server_id):
        try:
            return self.servers[server_id]
        except (KeyError, TypeError):
            raise base.ServerNotFound(server_id=server_id) from None

    def create_server(self, context, spec):
        self.validate(spec)
        self._called('create_server', spec.instance_id)
        server_id = str(uuid.uuid4())
        self.servers[server_id] = {
            'spec': spec, 'flavor': dict(spec.flavor), 'polls': 0,
            'status': states.ServerStatus.BUILD,
            'address': '10.0.0.%d' % (len(self.servers) + 2)}
        if spec.volume_id:
            self.volumes.attach_volume(context, spec.volume_id, server_id)
        return self._view(server_id)

    def _view(self, server_id):
        record = self._get(server_id)
        return base.Server(
            id=server_id, name=record['spec'].name, status=record['status'],
            flavor_id=str(record['flavor']['id']),
            addresses=[{'address': record['address'], 'type': 'private'}],
            instance_id=record['spec'].metadata.get(
                base.METADATA_INSTANCE_ID))

    def get_server(self, context, server_id):
        record = self._get(server_id)
        with self._lock:
            # Time passes between reads, not because of them: a server
            # boots after a number of reads, the same for every reader.
            record['polls'] += 1
            if record['status'] == states.ServerStatus.BUILD and \
                    record['polls'] > self.boot_polls:
                record['status'] = states.ServerStatus.ACTIVE
        return self._view(server_id)

    def find_servers(self, context, instance_id):
        return [self._view(server_id) for server_id, record in
                list(self.servers.items())
                if record['spec'].metadata.get(base.METADATA_INSTANCE_ID)
                == instance_id]

    def delete_server(self, context, server_id):
        self._get(server_id)
        self._called('delete_server', server_id)
        del self.servers[server_id]
        self.volumes.detach_all(server_id)

    def stop_server(self, context, server_id):
        self._get(server_id)['status'] = states.ServerStatus.SHUTDOWN

    def start_server(self, context, server_id):
        self._get(server_id)['status'] = states.ServerStatus.ACTIVE

    def reboot_server(self, context, server_id):
        self._called('reboot_server', server_id)
        self._get(server_id)['status'] = states.ServerStatus.ACTIVE

    def resize_server(self, context, server_id, new_flavor):
        self._called('resize_server', server_id)
        self._get(server_id)['flavor'] = dict(new_flavor)

    def create_server_group(self, context, name, policy):
        if policy not in self.capabilities().locality_policies:
            raise base.ProviderCannot(what='no %s here' % policy)
        group = base.ServerGroup(id=str(uuid.uuid4()), name=name,
                                 policy=policy)
        self.groups[group.id] = group
        return group

    def delete_server_group(self, context, group_id):
        if self.groups.pop(group_id, None) is None:
            raise base.ServerGroupNotFound(group_id=group_id)


class FakeVolumes(base.VolumeDriver):

    def __init__(self):
        self.records = {}
        self.failures = {}

    def fail_next(self, method, error):
        self.failures[method] = error

    def _called(self, method):
        error = self.failures.pop(method, None)
        if error is not None:
            raise error

    def volume_types(self, context):
        return [{'id': 'fast', 'name': 'fast', 'description': 'SSD'}]

    def _get(self, volume_id):
        try:
            return self.records[volume_id]
        except (KeyError, TypeError):
            raise base.VolumeNotFound(volume_id=volume_id) from None

    def _view(self, volume_id):
        record = self._get(volume_id)
        return base.Volume(
            id=volume_id, size=record['size'],
            status='in-use' if record['server'] else 'available',
            volume_type=record['type'], instance_id=record['instance_id'],
            attached_to=record['server'])

    def create_volume(self, context, spec):
        self.validate(spec)
        self._called('create_volume')
        volume_id = str(uuid.uuid4())
        self.records[volume_id] = {'size': int(spec.size), 'server': None,
                                   'type': spec.volume_type or 'fast',
                                   'instance_id': spec.instance_id}
        return self._view(volume_id)

    def get_volume(self, context, volume_id):
        return self._view(volume_id)

    def find_volumes(self, context, instance_id):
        return [self._view(volume_id) for volume_id, record in
                list(self.records.items())
                if record['instance_id'] == instance_id]

    def attach_volume(self, context, volume_id, server_id):
        record = self._get(volume_id)
        if record['server'] not in (None, server_id):
            raise exception.ComputeError(reason='volume in use')
        record['server'] = server_id
        return base.VolumeAttachment(volume_id=volume_id,
                                     server_id=server_id,
                                     device_path='/dev/fake-' + volume_id,
                                     mount_point='/mnt/' + volume_id)

    def detach_volume(self, context, volume_id, server_id):
        record = self._get(volume_id)
        if record['server'] == server_id:
            record['server'] = None

    def detach_all(self, server_id):
        for record in self.records.values():
            if record['server'] == server_id:
                record['server'] = None

    def extend_volume(self, context, volume_id, new_size):
        record = self._get(volume_id)
        if int(new_size) < record['size']:
            raise exception.ComputeError(reason='volumes only grow')
        record['size'] = int(new_size)
        return self._view(volume_id)

    def delete_volume(self, context, volume_id):
        record = self._get(volume_id)
        if record['server']:
            raise exception.ComputeError(reason='volume in use')
        del self.records[volume_id]


class FakeFlavors(base.FlavorDriver):

    def __init__(self, flavors):
        self.flavors = {str(f['id']): base.Flavor.from_dict(
            dict(f, id=str(f['id']))) for f in flavors}

    def list(self, context):
        return list(self.flavors.values())

    def get(self, context, flavor_id):
        try:
            return self.flavors[str(flavor_id)]
        except KeyError:
            raise exception.FlavorNotFound(uuid=flavor_id) from None


def fake_provider(flavors, boot_polls=0):
    volumes = FakeVolumes()
    return base.Provider(name='fake',
                         compute=FakeCompute(volumes, boot_polls),
                         volumes=volumes, flavors=FakeFlavors(flavors))
