"""The provider interface: what the taskmanager asks of a cloud.

A *provider bundle* (``Provider``) holds the drivers of one kind of cloud:
``compute`` (servers, each running one guest agent), ``volumes`` (the
engine's data), ``flavors`` (the sizes servers come in) and ``networks``
(None where the provider has none). ``trove.compute.get_provider`` picks
the bundle named by ``compute_provider``.

Every driver declares what it can do (``capabilities``) and refuses what
it cannot before anything is created (``validate``), so the API answers
a 400 instead of silently dropping a request's ``nics``, zone or
``locality``. Drivers raise ``ServerNotFound`` / ``VolumeNotFound`` for
ids they do not know and ``ComputeError`` for anything else, with a
message a user can act on. One contract test suite (tests/contract/)
runs against every provider.

Rules every driver keeps:

* ``get_*`` calls have no side effects.
* A server's or volume's id is the provider's own; it is never assumed
  equal to the instance id. The instance id travels in ``metadata``
  (``METADATA_INSTANCE_ID``) so ``find_servers`` / ``find_volumes`` can
  find what a build made even when a crash kept the id from being
  recorded.
* Deleting something already gone raises the NotFound of its kind;
  callers treat that as done (deletes are idempotent).
"""

import abc
import dataclasses
import time

from trove.common import exception
from trove.common import states
from trove.conf import CONF

# Metadata key naming the trove instance a server or volume belongs to.
METADATA_INSTANCE_ID = 'trove_instance_id'
LOCALITY_POLICIES = ('affinity', 'anti-affinity')


class ServerNotFound(exception.NotFound):
    message = 'Server %(server_id)s cannot be found.'


class VolumeNotFound(exception.NotFound):
    message = 'Volume %(volume_id)s cannot be found.'


class ServerGroupNotFound(exception.NotFound):
    message = 'Server group %(group_id)s cannot be found.'


class ProviderCannot(exception.BadRequest):
    """A request asks for something the configured provider cannot do."""

    message = '%(what)s'


@dataclasses.dataclass(frozen=True)
class Flavor:
    """A size servers come in (RAM in MB, disks in GB)."""

    id: str
    name: str
    ram: int
    vcpus: int
    disk: int
    ephemeral: int = 0

    def to_dict(self):
        """The plain dict sent in RPC messages and server records."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        return cls(**{f.name: values[f.name]
                      for f in dataclasses.fields(cls) if f.name in values})


@dataclasses.dataclass
class GuestFiles:
    """Files injected into a new server for its guest agent.

    ``guest_info`` and ``guest_config`` are the contents of
    ``guest_info.conf`` and ``trove-guestagent.conf``; ``extra`` maps
    further file names to contents (a datastore's cloud-init script).
    """

    guest_info: str
    guest_config: str
    extra: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ServerSpec:
    """Everything a provider needs to create one server."""

    instance_id: str
    name: str
    flavor: dict                       # id, name, ram (MB), vcpus, disk
    datastore_manager: str
    image_id: str | None = None
    image_tags: list = dataclasses.field(default_factory=list)
    guest_files: GuestFiles | None = None
    volume_id: str | None = None       # attached at boot
    availability_zone: str | None = None
    # [{"net-id": ..., "v4-fixed-ip": ...} | {"port-id": ...}]
    nics: list = dataclasses.field(default_factory=list)
    security_groups: list = dataclasses.field(default_factory=list)
    server_group_id: str | None = None  # for locality
    locality: str | None = None         # affinity / anti-affinity
    access: dict | None = None          # is_public, allowed_cidrs
    metadata: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.metadata = dict(self.metadata or {})
        self.metadata.setdefault(METADATA_INSTANCE_ID, self.instance_id)


@dataclasses.dataclass
class VolumeSpec:
    """A data volume to create for an instance."""

    instance_id: str
    size: int                          # GB
    volume_type: str | None = None
    availability_zone: str | None = None
    name: str | None = None


@dataclasses.dataclass
class Server:
    id: str
    name: str
    status: str                       # a states.ServerStatus value
    flavor_id: str | None = None
    # [{"address": "127.10.0.7", "type": "private", "network": ...}]
    addresses: list = dataclasses.field(default_factory=list)
    fault: str | None = None          # why the server is in ERROR
    instance_id: str | None = None    # from its metadata
    availability_zone: str | None = None
    host: str | None = None


@dataclasses.dataclass
class Volume:
    id: str
    size: int                         # GB
    status: str                       # available, in-use, error...
    used_bytes: int | None = None
    volume_type: str | None = None
    instance_id: str | None = None
    attached_to: str | None = None    # server id


@dataclasses.dataclass
class VolumeAttachment:
    """Where the guest finds an attached volume: ``device_path`` is what
    it formats, grows and mounts (a block device, or for a directory
    volume its directory) and ``mount_point`` where the data lives."""

    volume_id: str
    server_id: str
    device_path: str | None
    mount_point: str


@dataclasses.dataclass
class ServerGroup:
    id: str
    name: str
    policy: str


class ProviderCannotYet(exception.NotImplementedForDatastore):
    """An operation the configured provider does not implement (501)."""

    message = ('%(what)s is not implemented by the %(provider)s '
               'provider.')


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """What a provider can honour of a create request."""

    provider: str
    availability_zones: tuple = ()     # empty: any zone is passed on
    nics: bool = False
    locality_policies: tuple = ()
    volume_types: tuple | None = ()    # None: any type is passed on
    volumes: bool = True
    online_volume_extend: bool = True
    public_access: bool = True


class ComputeDriver(abc.ABC):
    """Servers: one guest agent each."""

    @abc.abstractmethod
    def capabilities(self):
        """A Capabilities (the compute side of it)."""

    def warm_up(self):
        """Make ready what the first build would otherwise wait for
        (the taskmanager calls it when it starts); nothing by default."""

    def validate(self, spec):
        """ProviderCannot (400) for what this provider cannot build."""
        caps = self.capabilities()
        zone = spec.availability_zone
        if zone and caps.availability_zones and \
                zone not in caps.availability_zones:
            raise ProviderCannot(what=(
                'Availability zone %s does not exist; the %s provider has '
                '%s.' % (zone, caps.provider,
                         ', '.join(caps.availability_zones))))
        if spec.nics and not caps.nics:
            raise ProviderCannot(what=(
                'The %s provider has no networks to attach: remove "nics" '
                'from the request.' % caps.provider))
        if spec.locality and spec.locality not in caps.locality_policies:
            raise ProviderCannot(what=(
                'Locality %s cannot be honoured by the %s provider%s.' % (
                    spec.locality, caps.provider,
                    ' (it supports %s)' % ', '.join(caps.locality_policies)
                    if caps.locality_policies else '')))
        if spec.access and spec.access.get('is_public') and \
                not caps.public_access:
            raise ProviderCannot(what=(
                'The %s provider cannot give instances public addresses.'
                % caps.provider))

    @abc.abstractmethod
    def create_server(self, context, spec):
        """Start a server running the guest agent from a ServerSpec;
        returns a Server (usually BUILD)."""

    @abc.abstractmethod
    def get_server(self, context, server_id):
        """The current state of a server; no side effects."""

    @abc.abstractmethod
    def find_servers(self, context, instance_id):
        """The servers whose metadata names ``instance_id``."""

    @abc.abstractmethod
    def delete_server(self, context, server_id):
        """Stop and remove a server and everything it started; returns
        when it is gone (or raises ComputeError after
        ``server_delete_time_out``)."""

    @abc.abstractmethod
    def stop_server(self, context, server_id):
        """Stop a server (SHUTDOWN) without removing it."""

    def fence_server(self, context, server_id):
        """Stop a server for good before its replica takes over: returns
        only when nothing on it can take a write (SHUTDOWN). Providers
        that can do it faster than a clean stop (the local one kills)
        override it."""
        self.stop_server(context, server_id)
        deadline = time.monotonic() + CONF.server_delete_time_out
        while self.get_server(context, server_id).status != \
                states.ServerStatus.SHUTDOWN:
            if time.monotonic() > deadline:
                raise exception.ComputeError(
                    reason='server %s did not stop within %d seconds'
                           % (server_id, CONF.server_delete_time_out))
            time.sleep(0.5)

    @abc.abstractmethod
    def start_server(self, context, server_id):
        """Start a stopped server again."""

    @abc.abstractmethod
    def reboot_server(self, context, server_id):
        """Restart a server (its guest agent comes back)."""

    @abc.abstractmethod
    def resize_server(self, context, server_id, new_flavor):
        """Give a server another flavor (returns when done)."""

    # Operator actions (mgmt API): refused unless a driver can ----------
    def validate_rebuild(self, image_id):
        """Refuse (4xx/501) a rebuild this provider cannot do."""
        raise ProviderCannotYet(what='Rebuilding servers',
                                provider=self.capabilities().provider)

    def rebuild_server(self, context, server_id, image_id):
        """Make the server anew (its data volume kept; returns when it
        is ACTIVE again)."""
        self.validate_rebuild(image_id)

    def validate_migrate(self, host):
        """Refuse (4xx/501) a migration this provider cannot do."""
        raise ProviderCannotYet(what='Migrating servers',
                                provider=self.capabilities().provider)

    def migrate_server(self, context, server_id, host):
        """Move the server to ``host`` (any host when None)."""
        self.validate_migrate(host)

    # Server groups (locality) -------------------------------------------
    @abc.abstractmethod
    def create_server_group(self, context, name, policy):
        """A ServerGroup with ``policy`` (affinity / anti-affinity)."""

    @abc.abstractmethod
    def delete_server_group(self, context, group_id):
        """Remove a server group (ServerGroupNotFound if gone)."""


class VolumeDriver(abc.ABC):
    """Data volumes: created, attached to a server, grown, removed."""

    @abc.abstractmethod
    def volume_types(self, context):
        """[{"id", "name", "description"}] of the types offered."""

    def validate(self, spec):
        """ProviderCannot (400) for a volume this provider cannot make."""
        if spec.size is not None and int(spec.size) < 1:
            raise ProviderCannot(what='A volume must be at least 1 GB.')
        if spec.volume_type:
            names = {t['name'] for t in self.volume_types(None)} | {
                t['id'] for t in self.volume_types(None)}
            if spec.volume_type not in names:
                raise ProviderCannot(what=(
                    'Volume type %s does not exist (known: %s).'
                    % (spec.volume_type, ', '.join(sorted(
                        t['name'] for t in self.volume_types(None)))
                       or 'none')))

    def extends_online(self, context, volume_id):
        """Whether ``extend_volume`` may run while the volume is in use;
        if not, the engine is stopped around it."""
        return True

    @abc.abstractmethod
    def create_volume(self, context, spec):
        """Create a data volume from a VolumeSpec; returns a Volume."""

    @abc.abstractmethod
    def get_volume(self, context, volume_id):
        """The current state of a volume; no side effects."""

    @abc.abstractmethod
    def find_volumes(self, context, instance_id):
        """The volumes made for ``instance_id``."""

    @abc.abstractmethod
    def attach_volume(self, context, volume_id, server_id):
        """Attach a volume to a server; returns a VolumeAttachment."""

    @abc.abstractmethod
    def detach_volume(self, context, volume_id, server_id):
        """Detach a volume from a server (idempotent)."""

    @abc.abstractmethod
    def extend_volume(self, context, volume_id, new_size):
        """Grow a volume to ``new_size`` GB (returns when done)."""

    @abc.abstractmethod
    def delete_volume(self, context, volume_id):
        """Remove a volume and its data."""


class FlavorDriver(abc.ABC):
    """The sizes servers come in."""

    @abc.abstractmethod
    def list(self, context):
        """Every flavor, as Flavor values."""

    @abc.abstractmethod
    def get(self, context, flavor_id):
        """One flavor, or exception.FlavorNotFound."""


@dataclasses.dataclass
class Provider:
    """The drivers of one kind of cloud, as the taskmanager uses them."""

    name: str
    compute: ComputeDriver
    volumes: VolumeDriver
    flavors: FlavorDriver
    networks: object = None

    def capabilities(self):
        compute = self.compute.capabilities()
        types = self.volumes.volume_types(None)
        return dataclasses.replace(
            compute, volume_types=tuple(t['name'] for t in types))

    def validate(self, server_spec, volume_spec=None):
        """Refuse (400) what this provider cannot build, before anything
        exists."""
        self.compute.validate(server_spec)
        if volume_spec is not None:
            self.volumes.validate(volume_spec)
