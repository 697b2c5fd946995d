"""Interfaces of compute and volume drivers, and the values they return.

A *server* runs one guest agent (a Nova VM, or a detached local process);
a *volume* holds the engine's data. Drivers raise ``ServerNotFound`` /
``VolumeNotFound`` for ids they do not know and ``ComputeError`` for
anything else that goes wrong, with a message a user can act on.
"""

import abc
import dataclasses

from trove.common import exception


class ServerNotFound(exception.NotFound):
    message = 'Server %(server_id)s cannot be found.'


class VolumeNotFound(exception.NotFound):
    message = 'Volume %(volume_id)s cannot be found.'


@dataclasses.dataclass
class Server:
    id: str
    name: str
    status: str                       # a states.ServerStatus value
    flavor_id: str | None = None
    # [{"address": "127.10.0.7", "type": "private", "network": ...}]
    addresses: list = dataclasses.field(default_factory=list)
    fault: str | None = None          # why the server is in ERROR


@dataclasses.dataclass
class Volume:
    id: str
    size: int                         # GB
    status: str                       # available, in-use, error...
    used_bytes: int | None = None


@dataclasses.dataclass
class GuestFiles:
    """Files injected into a new server for its guest agent.

    ``guest_info`` and ``guest_config`` are the contents of
    ``guest_info.conf`` and ``trove-guestagent.conf``.
    """

    guest_info: str
    guest_config: str


class ComputeDriver(abc.ABC):

    @abc.abstractmethod
    def create_server(self, context, instance_id, name, flavor, image_id,
                      guest_files, datastore_manager, volume=None,
                      availability_zone=None, nics=None, access=None):
        """Start a server running the guest agent; returns a Server
        (usually BUILD)."""

    @abc.abstractmethod
    def get_server(self, context, server_id):
        """The current state of a server."""

    @abc.abstractmethod
    def delete_server(self, context, server_id):
        """Stop and remove a server and everything it started; returns
        when it is gone (or raises ComputeError after
        ``server_delete_time_out``)."""

    @abc.abstractmethod
    def stop_server(self, context, server_id):
        """Stop a server (SHUTDOWN) without removing it."""

    @abc.abstractmethod
    def start_server(self, context, server_id):
        """Start a stopped server again."""

    @abc.abstractmethod
    def reboot_server(self, context, server_id):
        """Restart a server's guest agent."""

    @abc.abstractmethod
    def resize_server(self, context, server_id, new_flavor):
        """Give a server another flavor (returns when done)."""


class VolumeDriver(abc.ABC):

    @abc.abstractmethod
    def create_volume(self, context, instance_id, size, volume_type=None,
                      availability_zone=None):
        """Create a data volume of ``size`` GB for an instance."""

    @abc.abstractmethod
    def get_volume(self, context, volume_id):
        """The current state of a volume."""

    @abc.abstractmethod
    def extend_volume(self, context, volume_id, new_size):
        """Grow a volume to ``new_size`` GB (returns when done)."""

    @abc.abstractmethod
    def delete_volume(self, context, volume_id):
        """Remove a volume and its data."""
