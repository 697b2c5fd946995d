#!/usr/bin/env python3
"""Generate the configuration parameter rules of MariaDB and PostgreSQL from
the engines themselves.

Usage::

    .venv/bin/python tools/generate_parameter_rules.py [mariadb] [postgresql]
        [--output-dir trove/templates]

For each datastore the script starts a throwaway engine of the version
installed on this host (its own temp directory, unix socket only, no TCP
port, stopped by pid and removed afterwards), reads what the engine says
about its variables, keeps those a tenant may safely set, checks that the
engine accepts every one of them in a configuration file, and writes
``<output-dir>/<datastore>/validation-rules.json``::

    {"configuration-parameters": [{"name", "restart_required", "type",
                                   "min"?, "max"?, "allowed_values"?,
                                   "multiple"?}, ...],
     "engine": "MariaDB", "engine_version": "10.11.19"}

which ``trove-manage db_load_datastore_config_parameters`` (and trove-local)
load into ``datastore_configuration_parameters``.

What the engine says
--------------------
MariaDB: ``information_schema.SYSTEM_VARIABLES``. A variable is settable in
a configuration file when it has a ``COMMAND_LINE_ARGUMENT`` and is not
``SESSION ONLY`` (plus a few variables whose option the server handles
itself: ``MARIADB_OPTION_VARIABLES``). ``READ_ONLY = YES`` means it only
changes at a restart (``restart_required``). Types: INT/BIGINT [UNSIGNED]
-> integer with NUMERIC_MIN_VALUE/NUMERIC_MAX_VALUE, DOUBLE -> float with
the same bounds, BOOLEAN -> boolean, ENUM -> string with
``allowed_values`` (ENUM_VALUE_LIST), SET -> string with
``allowed_values`` and ``multiple`` (a comma-separated subset), FLAGSET
and VARCHAR -> string.

PostgreSQL: ``pg_settings``. Every setting except ``context = internal``
can be set in a configuration file; ``context = postmaster`` means
``restart_required`` (sighup, superuser, user and *-backend settings take
effect on a reload, for new sessions at the latest). Types: bool ->
boolean, integer -> integer with min_val/max_val (in the setting's base
``unit``: kB, 8kB, ms...), real -> float, enum -> string with
``allowed_values`` (enumvals), string -> string.

What a tenant may set (the curation)
------------------------------------
A configuration group is applied by the guest agent, which must stay able
to run, watch and back up the engine, and the engine must stay inside its
instance. So a variable is offered only if its *class* is allowed and it
is not one of a few named exceptions:

* files and paths: anything naming a file or directory (data, logs,
  sockets, pid, temp, key files) -- they would point the engine outside
  its volume or break the agent's layout;
* network identity: listen address, port, socket, announced host/port;
* security: TLS/SSL, secure_*, grant-table bypass, authentication and
  password hashing, encryption (needs a key-management plugin), commands
  run at connect (init_connect/init_slave);
* replication and cluster identity: server ids, Galera (``wsrep_*``),
  replication sources, archiving and recovery commands (PostgreSQL
  archive_command, restore_command... run shell commands), WAL level;
* plugin and library loading (plugin_dir, shared_preload_libraries,
  dynamic_library_path...);
* debugging and developer options, engine crash handling;
* settings that must match how the data directory was created
  (lower_case_table_names, innodb_page_size, innodb_undo_tablespaces,
  aria_block_size) or that leave it unwritable or unsafe
  (innodb_read_only, innodb_force_recovery, fsync, full_page_writes);
* one-shot actions (``*_now``, monitor counter resets) that are not
  settings;
* where PostgreSQL logs go and in which language (the agent reads the
  engine's stderr to say why it failed);
* a few that lock the agent out: password expiry (would expire the
  agent's own account), the connections reserved for superusers,
  read-only transactions by default (PostgreSQL applies them to
  superusers too).

Everything else -- memory and cache sizes, timeouts, connection limits,
planner/optimizer switches, logging verbosity, locale and statement
defaults, autovacuum, checkpoints, replication tunables -- is offered,
with the engine's own bounds. A value within bounds may still keep the
engine from starting (a buffer larger than the machine); the guest agent
then restores the last working configuration (see
trove/guestagent/datastore/configuration.py).

Finally every kept rule is written into a configuration file the engine
must accept (MariaDB: ``mariadbd --defaults-file=... --help --verbose``
rejects unknown option names; PostgreSQL: ``pg_file_settings`` reports
settings that cannot be set in a file); rejected ones are dropped and
listed.
"""

import argparse
import contextlib
import dataclasses
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from trove.common import engines  # noqa: E402

START_TIMEOUT = 120

# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class Variable:
    """What the engine says about one settable variable."""

    name: str
    kind: str                   # integer|float|boolean|string
    restart_required: bool
    klass: str                  # the class the curation decides on
    min: object = None
    max: object = None
    allowed_values: list | None = None
    multiple: bool = False
    current: object = None      # current value, for the file check

    def rule(self):
        rule = {'name': self.name,
                'restart_required': self.restart_required,
                'type': self.kind}
        if self.min is not None:
            rule['min'] = self.min
        if self.max is not None:
            rule['max'] = self.max
        if self.allowed_values:
            rule['allowed_values'] = list(self.allowed_values)
            if self.multiple:
                rule['multiple'] = True
        return rule


def _number(text, kind):
    if text is None or text == '':
        return None
    return float(text) if kind == 'float' else int(text)


def curate(variables, denied_classes, excluded):
    """The variables a tenant may set: allowed class, not excluded."""
    return [v for v in variables
            if v.klass not in denied_classes and v.name not in excluded]


# ---------------------------------------------------------------------------
# MariaDB
# ---------------------------------------------------------------------------

MARIADB_QUERY = (
    "SELECT LOWER(VARIABLE_NAME), VARIABLE_TYPE, VARIABLE_SCOPE, READ_ONLY, "
    "NUMERIC_MIN_VALUE, NUMERIC_MAX_VALUE, ENUM_VALUE_LIST, "
    "COMMAND_LINE_ARGUMENT, GLOBAL_VALUE "
    "FROM information_schema.SYSTEM_VARIABLES")

# Variables without COMMAND_LINE_ARGUMENT whose server option has the
# same name (the server parses these options itself).
MARIADB_OPTION_VARIABLES = frozenset([
    'autocommit', 'character_set_server', 'collation_server',
    'default_storage_engine', 'default_tmp_storage_engine',
])

MARIADB_INTEGER_TYPES = ('INT', 'INT UNSIGNED', 'BIGINT', 'BIGINT UNSIGNED')

_MARIADB_PATH = re.compile(
    r'(^|_)(dir|path|file|filename|directory|tmpdir|basedir|datadir|'
    r'socket|log_error|relay_log|pid_file|dirs|priv)$')
_MARIADB_CLASS_PREFIXES = (
    ('wsrep_', 'cluster identity'),
    ('ssl_', 'security'), ('tls_', 'security'), ('secure_', 'security'),
    ('plugin_', 'plugins'), ('debug_', 'debug'),
    ('report_', 'network identity'),
)
_MARIADB_CLASS_NAMES = {
    'bind_address': 'network identity', 'port': 'network identity',
    'extra_port': 'network identity', 'skip_networking': 'network identity',
    'proxy_protocol_networks': 'network identity',
    'skip_grant_tables': 'security', 'allow_suspicious_udfs': 'security',
    'ignore_builtin_innodb': 'plugins', 'core_file': 'debug',
    'relay_log_info_file': 'files',
}
MARIADB_DENIED_CLASSES = frozenset([
    'files', 'network identity', 'cluster identity', 'security', 'plugins',
    'debug', 'actions', 'session only',
])
# Named exceptions inside allowed classes (they count against coverage).
MARIADB_EXCLUDED = {
    'server_id': 'replication identity (the control plane sets it)',
    'gtid_domain_id': 'replication identity',
    'init_connect': 'runs SQL for every connection',
    'init_slave': 'runs SQL on replicas',
    'default_password_lifetime': "would expire the agent's own account",
    'lower_case_table_names': 'must match the data directory',
    'innodb_page_size': 'must match the data directory',
    'innodb_undo_tablespaces': 'must match the data directory',
    'aria_block_size': 'must match the Aria files',
    'innodb_read_only': 'leaves the engine unwritable for the agent',
    'innodb_force_recovery': 'recovery mode, loses data',
    'thread_handling': 'no-threads serves one connection at a time',
    'old_passwords': 'weak password hashing',
}


def mariadb_class(name, var_type, scope):
    """The class of a MariaDB variable (see the module docstring)."""
    if scope == 'SESSION ONLY':
        return 'session only'
    for prefix, klass in _MARIADB_CLASS_PREFIXES:
        if name.startswith(prefix):
            return klass
    if name in _MARIADB_CLASS_NAMES:
        return _MARIADB_CLASS_NAMES[name]
    if 'encrypt' in name or 'dbug' in name:
        return 'security' if 'encrypt' in name else 'debug'
    if name.endswith('_now') or name.startswith('innodb_monitor_') or \
            name in ('innodb_buffer_pool_load_abort', 'innodb_ft_aux_table'):
        return 'actions'
    if var_type == 'VARCHAR' and _MARIADB_PATH.search(name):
        return 'files'
    return _mariadb_tunable_class(name)


def _mariadb_tunable_class(name):
    """Allowed classes, for the coverage report only."""
    for prefix in ('innodb', 'aria', 'myisam', 'binlog', 'slave', 'rpl',
                   'log', 'optimizer', 'query_cache', 'performance_schema',
                   'thread_pool', 'gtid', 'max', 'net', 'key_cache'):
        if name.startswith(prefix):
            return prefix
    return 'server'


def mariadb_is_settable(name, command_line, scope):
    if scope == 'SESSION ONLY':
        return False
    return command_line is not None or name in MARIADB_OPTION_VARIABLES


def mariadb_variable(row):
    """A Variable from a SYSTEM_VARIABLES row (None if not settable)."""
    (name, var_type, scope, read_only, minimum, maximum, choices,
     command_line, current) = row
    if not mariadb_is_settable(name, command_line, scope):
        return None
    variable = Variable(name=name, kind='string',
                        restart_required=read_only == 'YES',
                        klass=mariadb_class(name, var_type, scope),
                        current=current)
    if var_type in MARIADB_INTEGER_TYPES:
        variable.kind = 'integer'
        variable.min = _number(minimum, 'integer')
        variable.max = _number(maximum, 'integer')
    elif var_type == 'DOUBLE':
        variable.kind = 'float'
        variable.min = _number(minimum, 'float')
        variable.max = _number(maximum, 'float')
    elif var_type == 'BOOLEAN':
        variable.kind = 'boolean'
    elif var_type in ('ENUM', 'SET') and choices:
        variable.allowed_values = choices.split(',')
        variable.multiple = var_type == 'SET'
    return variable


def mariadb_variables(cursor):
    cursor.execute(MARIADB_QUERY)
    found = [mariadb_variable(row) for row in cursor.fetchall()]
    return sorted((v for v in found if v is not None), key=lambda v: v.name)


def _option_value(variable):
    """The variable's current value as an option file writes it; None
    when it cannot be quoted (the line is then left out)."""
    value = variable.current
    if variable.kind == 'boolean':
        return 'ON' if str(value).upper() in ('ON', '1', 'TRUE') else 'OFF'
    value = '' if value is None else str(value)
    if re.match(r'^[\w.,=+:/-]+$', value):
        return value
    for quote in ("'", '"'):
        if quote not in value:
            return quote + value + quote
    return None


def mariadb_rejected_options(server, variables, work_dir):
    """Names the server refuses in a configuration file."""
    rejected = set()
    path = os.path.join(work_dir, 'rules-check.cnf')
    for _attempt in range(20):
        lines = ['[mysqld]']
        for variable in variables:
            if variable.name in rejected:
                continue
            value = _option_value(variable)
            if value is not None:
                lines.append('%s = %s' % (variable.name, value))
        with open(path, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        result = subprocess.run(
            [server, '--defaults-file=' + path, '--help', '--verbose'],
            capture_output=True, text=True, timeout=60)
        unknown = set(re.findall(r"unknown (?:variable|option) '-*([^'=]+)",
                                 result.stdout + result.stderr))
        if result.returncode == 0 and not unknown:
            return rejected
        if not unknown:
            raise RuntimeError('mariadbd refused the rules file:\n%s'
                               % (result.stderr[-2000:]))
        rejected |= {name.replace('-', '_') for name in unknown}
    raise RuntimeError('too many rejected options: %s' % sorted(rejected))


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

POSTGRESQL_QUERY = (
    "SELECT name, vartype, context, category, min_val, max_val, enumvals, "
    "reset_val, %s FROM pg_settings")
# PostgreSQL 15 tells which settings are not meant for configuration files
# (not in its sample file: session state such as transaction_isolation,
# developer switches).
POSTGRESQL_FLAGS = "pg_settings_get_flags(name)"

POSTGRESQL_ALLOWED_CATEGORIES = (
    'Autovacuum',
    'Client Connection Defaults / Locale and Formatting',
    'Client Connection Defaults / Other Defaults',
    'Client Connection Defaults / Statement Behavior',
    'Connections and Authentication / Connection Settings',
    'Lock Management',
    'Query Tuning',
    'Reporting and Logging / Process Title',
    'Reporting and Logging / What to Log',
    'Reporting and Logging / When to Log',
    'Resource Usage',
    'Statistics',
    'Version and Platform Compatibility',
    'Write-Ahead Log / Checkpoints',
    'Write-Ahead Log / Settings',
)
POSTGRESQL_EXCLUDED = {
    'listen_addresses': 'network identity (the agent sets it)',
    'port': 'network identity (the agent sets it)',
    'unix_socket_directories': 'the agent connects through it',
    'unix_socket_group': 'the agent connects through the socket',
    'unix_socket_permissions': 'the agent connects through the socket',
    'bonjour': 'network announcement',
    'bonjour_name': 'network announcement',
    'superuser_reserved_connections': "the agent's reserved connections",
    'dynamic_library_path': 'library loading',
    'wal_level': 'backups and replicas need it',
    'fsync': 'unsafe: data loss on a crash',
    'full_page_writes': 'unsafe: torn pages on a crash',
    'lc_messages': "translates the messages the agent reads",
    'default_transaction_read_only': "the agent's own statements would fail",
}
POSTGRESQL_TYPES = {'bool': 'boolean', 'integer': 'integer',
                    'real': 'float', 'enum': 'string', 'string': 'string'}


def postgresql_class(category, context, flags=()):
    """The class of a PostgreSQL setting: its pg_settings category, or
    'denied' for every category not in POSTGRESQL_ALLOWED_CATEGORIES."""
    if context == 'internal':
        return 'internal'
    if 'NOT_IN_SAMPLE' in (flags or ()):
        return 'not in sample'
    for allowed in POSTGRESQL_ALLOWED_CATEGORIES:
        if category == allowed or category.startswith(allowed + ' / '):
            return allowed
    return 'denied'


POSTGRESQL_DENIED_CLASSES = frozenset(['internal', 'denied',
                                       'not in sample'])


def postgresql_variable(row):
    (name, vartype, context, category, minimum, maximum, enumvals,
     reset_val, flags) = row
    if context == 'internal':
        return None
    kind = POSTGRESQL_TYPES[vartype]
    variable = Variable(name=name, kind=kind,
                        restart_required=context == 'postmaster',
                        klass=postgresql_class(category, context, flags),
                        current=reset_val)
    if kind in ('integer', 'float'):
        variable.min = _number(minimum, kind)
        variable.max = _number(maximum, kind)
    if vartype == 'enum' and enumvals:
        variable.allowed_values = list(enumvals)
    return variable


def postgresql_variables(cursor):
    cursor.execute("SELECT current_setting('server_version_num')::int")
    flags = POSTGRESQL_FLAGS if cursor.fetchone()[0] >= 150000 else 'NULL'
    cursor.execute(POSTGRESQL_QUERY % flags)
    found = [postgresql_variable(row) for row in cursor.fetchall()]
    return sorted((v for v in found if v is not None), key=lambda v: v.name)


def _pg_value(variable):
    value = '' if variable.current is None else str(variable.current)
    if variable.kind in ('integer', 'float') and value:
        return value
    return "'%s'" % value.replace("'", "''")


def postgresql_rejected_settings(cursor, data_dir, variables):
    """Names PostgreSQL refuses in a configuration file (pg_file_settings
    parses the files without applying them)."""
    path = os.path.join(data_dir, 'rules-check.conf')
    with open(path, 'w') as handle:
        for variable in variables:
            handle.write('%s = %s\n' % (variable.name, _pg_value(variable)))
    with open(os.path.join(data_dir, 'postgresql.conf'), 'a') as handle:
        handle.write("\ninclude '%s'\n" % path)
    cursor.execute('SELECT name, error FROM pg_file_settings '
                   'WHERE sourcefile = %s AND error IS NOT NULL', (path,))
    return {name for name, _error in cursor.fetchall()}


# ---------------------------------------------------------------------------
# Throwaway engines
# ---------------------------------------------------------------------------

def _engine_user(name):
    """The OS user the engine runs as: ``name`` when we are root."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam(name)
    return name


@contextlib.contextmanager
def _work_dir(owner):
    path = tempfile.mkdtemp(prefix='trove-rules-')
    try:
        if owner:
            shutil.chown(path, owner, owner)
        os.chmod(path, 0o755)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _server(command, log_path, user):
    with open(log_path, 'ab') as log:
        process = subprocess.Popen(command, stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL, user=user,
                                   start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT if 'postgres' in command[0]
                                else signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _connect_until(connect, process, log_path):
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return connect()
        except Exception as error:
            if process.poll() is not None or time.monotonic() > deadline:
                with open(log_path, errors='replace') as log:
                    raise RuntimeError('the engine did not start: %s\n%s'
                                       % (error, log.read()[-3000:])) \
                        from error
            time.sleep(0.2)


@contextlib.contextmanager
def throwaway_mariadb():
    """(cursor, server binary, work dir) of a fresh MariaDB."""
    import pymysql
    found = engines.find_mariadb()
    if found is None:
        raise RuntimeError('MariaDB is not installed on this host')
    server = os.path.join(found.bin_dir, 'mariadbd')
    install_db = shutil.which('mariadb-install-db') or os.path.join(
        found.bin_dir, 'mariadb-install-db')
    user = _engine_user('mysql')
    me = pwd.getpwuid(os.geteuid()).pw_name
    with _work_dir(user) as work:
        data = os.path.join(work, 'data')
        socket_path = os.path.join(work, 'mysqld.sock')
        log_path = os.path.join(work, 'mysqld.log')
        user_args = ['--user=%s' % user] if user else []
        subprocess.run([install_db, '--no-defaults', '--datadir=' + data,
                        '--skip-test-db',
                        '--auth-root-authentication-method=socket',
                        '--auth-root-socket-user=' + me] + user_args,
                       check=True, capture_output=True, timeout=300)
        command = [server, '--no-defaults', '--datadir=' + data,
                   '--socket=' + socket_path, '--skip-networking',
                   '--pid-file=' + os.path.join(work, 'mysqld.pid'),
                   '--innodb-buffer-pool-size=32M',
                   '--performance-schema=OFF'] + user_args
        with _server(command, log_path, None) as process:
            connection = _connect_until(lambda: pymysql.connect(
                unix_socket=socket_path, user=me, connect_timeout=5),
                process, log_path)
            try:
                with connection.cursor() as cursor:
                    cursor.execute('SELECT VERSION()')
                    version = cursor.fetchone()[0].split('-')[0]
                    yield cursor, server, work, version
            finally:
                connection.close()


@contextlib.contextmanager
def throwaway_postgresql():
    """(cursor, data dir, work dir) of a fresh PostgreSQL."""
    import psycopg
    found = engines.find_postgresql()
    if found is None:
        raise RuntimeError('PostgreSQL is not installed on this host')
    user = _engine_user('postgres')
    with _work_dir(user) as work:
        data = os.path.join(work, 'pgdata')
        log_path = os.path.join(work, 'postgres.log')
        subprocess.run([os.path.join(found.bin_dir, 'initdb'), '-D', data,
                        '-A', 'trust', '-U', 'postgres', '--no-sync',
                        '--encoding', 'UTF8', '--locale', 'C'],
                       check=True, capture_output=True, timeout=300,
                       user=user, cwd=work)
        command = [os.path.join(found.bin_dir, 'postgres'), '-D', data,
                   '-c', 'listen_addresses=', '-c',
                   'unix_socket_directories=' + work]
        with _server(command, log_path, user) as process:
            connection = _connect_until(lambda: psycopg.connect(
                host=work, user='postgres', dbname='postgres',
                autocommit=True, connect_timeout=5), process, log_path)
            try:
                with connection.cursor() as cursor:
                    cursor.execute('SHOW server_version')
                    version = cursor.fetchone()[0].split()[0]
                    yield cursor, data, work, version
            finally:
                connection.close()


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------

def generate_mariadb():
    with throwaway_mariadb() as (cursor, server, work, version):
        variables = mariadb_variables(cursor)
        kept = curate(variables, MARIADB_DENIED_CLASSES, MARIADB_EXCLUDED)
        rejected = mariadb_rejected_options(server, kept, work)
    return 'MariaDB', version, kept, rejected


def generate_postgresql():
    with throwaway_postgresql() as (cursor, data, work, version):
        variables = postgresql_variables(cursor)
        kept = curate(variables, POSTGRESQL_DENIED_CLASSES,
                      POSTGRESQL_EXCLUDED)
        rejected = postgresql_rejected_settings(cursor, data, kept)
    return 'PostgreSQL', version, kept, rejected


GENERATORS = {'mariadb': generate_mariadb,
              'postgresql': generate_postgresql}


def rules_document(engine, version, kept, rejected):
    rules = [v.rule() for v in kept if v.name not in rejected]
    return {'configuration-parameters': rules, 'engine': engine,
            'engine_version': version}


def write_rules(output_dir, datastore, document):
    directory = os.path.join(output_dir, datastore)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'validation-rules.json')
    with open(path, 'w') as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.write('\n')
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('datastores', nargs='*',
                        help='of %s (default: all)' % ', '.join(
                            sorted(GENERATORS)))
    parser.add_argument('--output-dir',
                        default=os.path.join(REPO, 'trove', 'templates'))
    args = parser.parse_args(argv)
    unknown = set(args.datastores) - set(GENERATORS)
    if unknown:
        parser.error('unknown datastores: %s' % ', '.join(sorted(unknown)))
    for datastore in args.datastores or sorted(GENERATORS):
        engine, version, kept, rejected = GENERATORS[datastore]()
        document = rules_document(engine, version, kept, rejected)
        path = write_rules(args.output_dir, datastore, document)
        print('%s %s: %d rules -> %s' % (
            engine, version, len(document['configuration-parameters']),
            path))
        if rejected:
            print('  refused in a configuration file, left out: %s'
                  % ', '.join(sorted(rejected)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
