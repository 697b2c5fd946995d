"""The guest log of PostgreSQL: ``general``, the server's own log (its
output file), into which enabling makes it write every statement slower
than ``guest_log_long_query_time`` ms (0: all) with its duration. The
setting is an include file in conf.d, applied with a reload."""

import os

from trove.guestagent import guest_log
from trove.guestagent import operating_system


def _conf_path(engine):
    return os.path.join(engine.overrides_dir, 'guest-log-general.conf')


def _reload(engine):
    with engine.admin().cursor() as cursor:
        cursor.execute('SELECT pg_reload_conf()')


def _enable(engine):
    operating_system.write_file(
        _conf_path(engine), 'log_min_duration_statement = %d\n'
        % engine.conf.guest_log_long_query_time, mode=0o644)
    _reload(engine)


def _disable(engine):
    try:
        os.unlink(_conf_path(engine))
    except FileNotFoundError:
        pass
    # A setting gone from the files goes back to its default on reload.
    _reload(engine)


def specs(engine):
    return [guest_log.LogSpec('general', guest_log.USER, engine.log_path,
                              enable=lambda: _enable(engine),
                              disable=lambda: _disable(engine))]
