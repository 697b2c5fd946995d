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
itself: ``OPTION_VARIABLES``). ``READ_ONLY = YES`` means it only
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
  engine's stderr to say why it failed); PostgreSQL settings its sample
  file leaves out (``NOT_IN_SAMPLE``: session state such as
  transaction_isolation, developer switches);
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

The classes, the named exceptions (each with its reason) and the engine
queries are in ``trove/configuration/engine_rules/mariadb.py`` and
``postgresql.py``: MariaDB classes go by name (``variable_class``),
PostgreSQL classes are the engine's own ``pg_settings.category``
(``ALLOWED_CATEGORIES``).

Finally every kept rule is written into a configuration file the engine
must accept (MariaDB: ``mariadbd --defaults-file=... --help --verbose``
rejects unknown option names; PostgreSQL: ``pg_file_settings`` reports
settings that cannot be set in a file); rejected ones are dropped and
listed.
"""

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from trove.configuration import engine_rules  # noqa: E402
from trove.configuration.engine_rules import mariadb  # noqa: E402
from trove.configuration.engine_rules import postgresql  # noqa: E402

# The classes, exceptions and engine queries live in
# trove/configuration/engine_rules/{mariadb,postgresql}.py.
GENERATORS = {'mariadb': mariadb.generate,
              'postgresql': postgresql.generate}


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
        document = engine_rules.rules_document(engine, version, kept,
                                               rejected)
        path = engine_rules.write_rules(args.output_dir, datastore, document)
        print('%s %s: %d rules -> %s' % (
            engine, version, len(document['configuration-parameters']),
            path))
        if rejected:
            print('  refused in a configuration file, left out: %s'
                  % ', '.join(sorted(rejected)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
