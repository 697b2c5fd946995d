"""The server settings a MySQL-family option file says, as one mapping.

Reads the agent's ``my.cnf`` the way the server does (``!include`` and
``!includedir`` followed, later values winning) and keeps the server's
groups only. Settings that name this one instance (its id, certificates,
address) are left out: what is left is what two instances would share,
which is what ``data_templates`` keys a data directory template on.
"""

import configparser
import os

SERVER_GROUPS = ('mysqld', 'server', 'mariadb', 'mariadbd', 'galera',
                 'mysql_install_db', 'mariadb-install-db')
PER_INSTANCE = frozenset((
    'server_id', 'bind_address', 'port', 'socket', 'pid_file', 'datadir',
    'tmpdir', 'report_host', 'ssl_ca', 'ssl_cert', 'ssl_key', 'ssl_crl',
    'require_secure_transport', 'wsrep_node_address', 'wsrep_node_name',
    'wsrep_sst_receive_address'))


def _files(path, seen):
    """``path`` and what it includes, in the order the server reads."""
    real = os.path.realpath(path)
    if real in seen or not os.path.isfile(real):
        return []
    seen.add(real)
    found = [real]
    with open(real) as options:
        for line in options:
            line = line.strip()
            if line.startswith('!include '):
                found += _files(line.split(None, 1)[1], seen)
            elif line.startswith('!includedir '):
                directory = line.split(None, 1)[1]
                if os.path.isdir(directory):
                    for name in sorted(os.listdir(directory)):
                        if name.endswith('.cnf'):
                            found += _files(os.path.join(directory, name),
                                            seen)
    return found


def read(defaults_file):
    settings = {}
    for path in _files(defaults_file, set()):
        parser = configparser.ConfigParser(
            allow_no_value=True, strict=False, interpolation=None,
            comment_prefixes=('#', ';', '!'), inline_comment_prefixes=('#',))
        parser.optionxform = str
        with open(path) as options:
            parser.read_string(options.read(), source=path)
        for group in parser.sections():
            if group.lower() not in SERVER_GROUPS:
                continue
            for name, value in parser.items(group, raw=True):
                key = name.strip().lower().replace('-', '_')
                if key.startswith('loose_'):
                    key = key[len('loose_'):]
                if key not in PER_INSTANCE:
                    settings[key] = value
    return settings
