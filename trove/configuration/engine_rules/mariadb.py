"""MariaDB's variables as parameter rules: read from
``information_schema.SYSTEM_VARIABLES``, classified, and checked with
``mariadbd --help --verbose`` (which refuses unknown option names). The
curation is described in tools/generate_parameter_rules.py."""

import contextlib
import os
import pwd
import re
import shutil
import subprocess

import pymysql

from trove.common import engines
from trove.configuration import engine_rules
from trove.configuration.engine_rules import throwaway

QUERY = (
    "SELECT LOWER(VARIABLE_NAME), VARIABLE_TYPE, VARIABLE_SCOPE, READ_ONLY, "
    "NUMERIC_MIN_VALUE, NUMERIC_MAX_VALUE, ENUM_VALUE_LIST, "
    "COMMAND_LINE_ARGUMENT, GLOBAL_VALUE "
    "FROM information_schema.SYSTEM_VARIABLES")

# Variables without COMMAND_LINE_ARGUMENT whose server option has the
# same name (the server parses these options itself).
OPTION_VARIABLES = frozenset([
    'autocommit', 'character_set_server', 'collation_server',
    'default_storage_engine', 'default_tmp_storage_engine',
])

INTEGER_TYPES = ('INT', 'INT UNSIGNED', 'BIGINT', 'BIGINT UNSIGNED')

_PATH = re.compile(
    r'(^|_)(dir|path|file|filename|directory|tmpdir|basedir|datadir|'
    r'socket|log_error|relay_log|pid_file|dirs|priv)$')
_CLASS_PREFIXES = (
    ('wsrep_', 'cluster identity'),
    ('ssl_', 'security'), ('tls_', 'security'), ('secure_', 'security'),
    ('plugin_', 'plugins'), ('debug_', 'debug'),
    ('report_', 'network identity'),
)
_CLASS_NAMES = {
    'bind_address': 'network identity', 'port': 'network identity',
    'extra_port': 'network identity', 'skip_networking': 'network identity',
    'proxy_protocol_networks': 'network identity',
    'skip_grant_tables': 'security', 'allow_suspicious_udfs': 'security',
    'ignore_builtin_innodb': 'plugins', 'core_file': 'debug',
    'relay_log_info_file': 'files',
}
DENIED_CLASSES = frozenset([
    'files', 'network identity', 'cluster identity', 'security', 'plugins',
    'debug', 'actions', 'session only',
])
# Named exceptions inside allowed classes (they count against coverage).
EXCLUDED = {
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


def variable_class(name, var_type, scope):
    """The class of a MariaDB variable (see the module docstring)."""
    if scope == 'SESSION ONLY':
        return 'session only'
    for prefix, klass in _CLASS_PREFIXES:
        if name.startswith(prefix):
            return klass
    if name in _CLASS_NAMES:
        return _CLASS_NAMES[name]
    if 'encrypt' in name or 'dbug' in name:
        return 'security' if 'encrypt' in name else 'debug'
    if name.endswith('_now') or name.startswith('innodb_monitor_') or \
            name in ('innodb_buffer_pool_load_abort', 'innodb_ft_aux_table'):
        return 'actions'
    if var_type == 'VARCHAR' and _PATH.search(name):
        return 'files'
    return _tunable_class(name)


def _tunable_class(name):
    """Allowed classes, for the coverage report only."""
    for prefix in ('innodb', 'aria', 'myisam', 'binlog', 'slave', 'rpl',
                   'log', 'optimizer', 'query_cache', 'performance_schema',
                   'thread_pool', 'gtid', 'max', 'net', 'key_cache'):
        if name.startswith(prefix):
            return prefix
    return 'server'


def is_settable(name, command_line, scope):
    if scope == 'SESSION ONLY':
        return False
    return command_line is not None or name in OPTION_VARIABLES


def variable(row):
    """A Variable from a SYSTEM_VARIABLES row (None if not settable)."""
    (name, var_type, scope, read_only, minimum, maximum, choices,
     command_line, current) = row
    if not is_settable(name, command_line, scope):
        return None
    variable = engine_rules.Variable(name=name, kind='string',
                        restart_required=read_only == 'YES',
                        klass=variable_class(name, var_type, scope),
                        current=current)
    if var_type in INTEGER_TYPES:
        variable.kind = 'integer'
        variable.min = engine_rules.number(minimum, 'integer')
        variable.max = engine_rules.number(maximum, 'integer')
    elif var_type == 'DOUBLE':
        variable.kind = 'float'
        variable.min = engine_rules.number(minimum, 'float')
        variable.max = engine_rules.number(maximum, 'float')
    elif var_type == 'BOOLEAN':
        variable.kind = 'boolean'
    elif var_type in ('ENUM', 'SET') and choices:
        variable.allowed_values = choices.split(',')
        variable.multiple = var_type == 'SET'
    return variable


def variables(cursor):
    cursor.execute(QUERY)
    found = [variable(row) for row in cursor.fetchall()]
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


def rejected_options(server, variables, work_dir):
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


@contextlib.contextmanager
def throwaway_engine():
    """(cursor, server binary, work dir) of a fresh MariaDB."""
    found = engines.find_mariadb()
    if found is None:
        raise RuntimeError('MariaDB is not installed on this host')
    server = os.path.join(found.bin_dir, 'mariadbd')
    install_db = shutil.which('mariadb-install-db') or os.path.join(
        found.bin_dir, 'mariadb-install-db')
    user = throwaway.engine_user('mysql')
    me = pwd.getpwuid(os.geteuid()).pw_name
    with throwaway.work_dir(user) as work:
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
        with throwaway.server(command, log_path, None) as process:
            connection = throwaway.connect_until(lambda: pymysql.connect(
                unix_socket=socket_path, user=me, connect_timeout=5),
                process, log_path)
            try:
                with connection.cursor() as cursor:
                    cursor.execute('SELECT VERSION()')
                    version = cursor.fetchone()[0].split('-')[0]
                    yield cursor, server, work, version
            finally:
                connection.close()


def generate():
    """(engine, version, kept variables, names refused in a file)."""
    with throwaway_engine() as (cursor, server, work, version):
        found = variables(cursor)
        kept = engine_rules.curate(found, DENIED_CLASSES, EXCLUDED)
        rejected = rejected_options(server, kept, work)
    return 'MariaDB', version, kept, rejected
