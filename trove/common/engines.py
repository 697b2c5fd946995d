"""Database engines installed on this host, for the local provider.

``trove-local`` registers what it finds as datastores and versions, and
the guest agent finds the binaries of its engine here. A MySQL datastore
is only offered when ``mysqld`` is a real MySQL server, not MariaDB under
another name.
"""

import dataclasses
import glob
import os
import re
import shutil
import subprocess

MARIADB_SEARCH = ('/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin')
POSTGRESQL_SEARCH = '/usr/lib/postgresql/*/bin'


@dataclasses.dataclass(frozen=True)
class Engine:
    datastore: str          # datastore name and guest manager
    version: str            # full version number, e.g. 10.11.19
    bin_dir: str            # where its server binary lives

    @property
    def version_name(self):
        """The version name users pick: the release series (10.11 for
        MariaDB 10.11.19, 15 for PostgreSQL 15.20)."""
        parts = self.version.split('.')
        if self.datastore == 'postgresql' and int(parts[0]) >= 10:
            return parts[0]
        return '.'.join(parts[:2])


# (command, the binary's identity) -> (version, output). A guest agent
# asks for its engine several times per operation, and each answer is a
# process start (about 25 ms of CPU for mariadbd); a package upgrade
# replaces the binary, which changes its identity.
_VERSIONS = {}


def _binary_identity(path):
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


def _version_of(command):
    key = (tuple(command), _binary_identity(command[0]))
    if key[1] is not None and key in _VERSIONS:
        return _VERSIONS[key]
    try:
        output = subprocess.run(command, capture_output=True, text=True,
                                timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None, ''
    match = re.search(r'(\d+\.\d+(\.\d+)?)', output)
    found = (match.group(1) if match else None), output
    if key[1] is not None and found[0]:
        _VERSIONS[key] = found
    return found


def _find(name, directories):
    for directory in directories:
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def find_mariadb():
    server = _find('mariadbd', MARIADB_SEARCH)
    if not server:
        return None
    version, _output = _version_of([server, '--version'])
    if not version:
        return None
    return Engine('mariadb', version, os.path.dirname(server))


def find_mysql():
    server = _find('mysqld', MARIADB_SEARCH)
    if not server:
        return None
    version, output = _version_of([server, '--version'])
    if not version or 'mariadb' in output.lower():
        return None
    return Engine('mysql', version, os.path.dirname(server))


def find_postgresql():
    candidates = []
    for bin_dir in glob.glob(POSTGRESQL_SEARCH):
        server = os.path.join(bin_dir, 'postgres')
        if os.access(server, os.X_OK):
            version, _output = _version_of([server, '--version'])
            if version:
                candidates.append(Engine('postgresql', version, bin_dir))
    if not candidates:
        return None
    return max(candidates,
               key=lambda e: [int(p) for p in e.version.split('.')])


def installed_engines():
    """Every engine this host can run, newest PostgreSQL only."""
    found = [find_mariadb(), find_mysql(), find_postgresql()]
    return [engine for engine in found if engine is not None]


def find_engine(datastore):
    finders = {'mariadb': find_mariadb, 'mysql': find_mysql,
               'postgresql': find_postgresql}
    finder = finders.get(datastore)
    return finder() if finder else None
