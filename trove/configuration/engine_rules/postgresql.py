"""PostgreSQL's settings as parameter rules: read from ``pg_settings``,
classified by their category, and checked with ``pg_file_settings``
(which reports settings that cannot be set in a file). The curation is
described in tools/generate_parameter_rules.py."""

import contextlib
import os
import subprocess

import psycopg

from trove.common import engines
from trove.configuration import engine_rules
from trove.configuration.engine_rules import throwaway

QUERY = (
    "SELECT name, vartype, context, category, min_val, max_val, enumvals, "
    "reset_val, %s FROM pg_settings")
# PostgreSQL 15 tells which settings are not meant for configuration files
# (not in its sample file: session state such as transaction_isolation,
# developer switches).
FLAGS = "pg_settings_get_flags(name)"

ALLOWED_CATEGORIES = (
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
EXCLUDED = {
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
TYPES = {'bool': 'boolean', 'integer': 'integer',
                    'real': 'float', 'enum': 'string', 'string': 'string'}


def setting_class(category, context, flags=()):
    """The class of a PostgreSQL setting: its pg_settings category, or
    'denied' for every category not in ALLOWED_CATEGORIES."""
    if context == 'internal':
        return 'internal'
    if 'NOT_IN_SAMPLE' in (flags or ()):
        return 'not in sample'
    for allowed in ALLOWED_CATEGORIES:
        if category == allowed or category.startswith(allowed + ' / '):
            return allowed
    return 'denied'


DENIED_CLASSES = frozenset(['internal', 'denied',
                                       'not in sample'])


def variable(row):
    (name, vartype, context, category, minimum, maximum, enumvals,
     reset_val, flags) = row
    if context == 'internal':
        return None
    kind = TYPES[vartype]
    variable = engine_rules.Variable(name=name, kind=kind,
                        restart_required=context == 'postmaster',
                        klass=setting_class(category, context, flags),
                        current=reset_val)
    if kind in ('integer', 'float'):
        variable.min = engine_rules.number(minimum, kind)
        variable.max = engine_rules.number(maximum, kind)
    if vartype == 'enum' and enumvals:
        variable.allowed_values = list(enumvals)
    return variable


def variables(cursor):
    cursor.execute("SELECT current_setting('server_version_num')::int")
    flags = FLAGS if cursor.fetchone()[0] >= 150000 else 'NULL'
    cursor.execute(QUERY % flags)
    found = [variable(row) for row in cursor.fetchall()]
    return sorted((v for v in found if v is not None), key=lambda v: v.name)


def _pg_value(variable):
    value = '' if variable.current is None else str(variable.current)
    if variable.kind in ('integer', 'float') and value:
        return value
    return "'%s'" % value.replace("'", "''")


def rejected_settings(cursor, data_dir, variables):
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


@contextlib.contextmanager
def throwaway_engine():
    """(cursor, data dir, work dir) of a fresh PostgreSQL."""
    found = engines.find_postgresql()
    if found is None:
        raise RuntimeError('PostgreSQL is not installed on this host')
    user = throwaway.engine_user('postgres')
    with throwaway.work_dir(user) as work:
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
        with throwaway.server(command, log_path, user) as process:
            connection = throwaway.connect_until(lambda: psycopg.connect(
                host=work, user='postgres', dbname='postgres',
                autocommit=True, connect_timeout=5), process, log_path)
            try:
                with connection.cursor() as cursor:
                    cursor.execute('SHOW server_version')
                    version = cursor.fetchone()[0].split()[0]
                    yield cursor, data, work, version
            finally:
                connection.close()


def generate():
    """(engine, version, kept variables, names refused in a file)."""
    with throwaway_engine() as (cursor, data, work, version):
        found = variables(cursor)
        kept = engine_rules.curate(found, DENIED_CLASSES, EXCLUDED)
        rejected = rejected_settings(cursor, data, kept)
    return 'PostgreSQL', version, kept, rejected
