"""What a datastore's backup strategy provides, and the shared plumbing.

A strategy knows its engine's tools: the command whose output is the
backup (compressed with gzip on its way to storage), the metadata to
record with it (LSN, WAL positions), how to unpack a chain of backups
(full, then each incremental in order) into the data directory, and how
to bring the restored engine up with the new instance's own os_admin
credentials (the restored data holds the source instance's).
"""

import abc
import dataclasses
import os
import shutil

from trove.conf import CONF
from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.backup import pipeline


@dataclasses.dataclass
class Link:
    """One backup of a chain: where it is and what it says about itself."""

    location: str
    checksum: str | None
    metadata: dict

    @property
    def parent_location(self):
        return self.metadata.get('parent_location')


def tool(*names):
    """The path of the first of ``names`` installed here."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise errors.EngineError('%s is not installed on this host; it is needed '
                             'for backups.' % ' or '.join(names))


def compressor():
    return pipeline.Command([tool('gzip'), '-c',
                             '-%d' % CONF.backup_compression_level])


def decompressor():
    return pipeline.Command([tool('gzip'), '-d', '-c'])


class Strategy(abc.ABC):
    """The backup tools of one datastore."""

    name = None
    extension = None

    def __init__(self, engine, work_dir):
        self.engine = engine
        self.work_dir = work_dir

    @property
    def log_dir(self):
        return os.path.join(self.work_dir, 'logs')

    # Preparation of a new instance -------------------------------------
    def configure(self):  # noqa: B027 (optional for a strategy)
        """Set the engine up for backups before its first start."""

    # Backup -----------------------------------------------------------------
    @abc.abstractmethod
    def backup_command(self, parent):
        """The command writing the backup on stdout; ``parent`` is the
        parent's metadata for an incremental, else None."""

    @abc.abstractmethod
    def backup_metadata(self, chain, parent):
        """Metadata of a backup whose chain ended successfully."""

    # Restore ---------------------------------------------------------------
    @abc.abstractmethod
    def restore(self, links, extract):
        """Unpack ``links`` (full backup first) into the data directory.

        ``extract(link, command)`` streams one backup, decompressed, into
        the standard input of ``command`` and waits for it.
        """

    @abc.abstractmethod
    def start_restored(self):
        """Start the restored engine and give os_admin a new password."""

    # Helpers -----------------------------------------------------------------
    def run(self, args, timeout=None):
        return operating_system.run(
            args, timeout=timeout or CONF.restore_usage_timeout)

    def give_to_engine(self, path):
        operating_system.chown(path, self.engine.user, recursive=True)

    @staticmethod
    def empty_dir(path, mode=0o700):
        """``path`` as a new empty directory."""
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.makedirs(path, mode=mode)
        os.chmod(path, mode)
        return path
