"""Live configuration of PostgreSQL: the overrides include file and a
reload.

The overrides file is included after the base configuration, so its
values win; ``pg_reload_conf()`` makes the server read it again. The
server itself then tells what happened: ``pg_file_settings`` lists the
lines of the file it could not apply; ``pg_settings.pending_restart`` the
settings that only change at a restart (``postmaster`` context). A line
that failed for another reason holds a value the server refuses: the
previous file is restored and the server reloaded again, so nothing of a
refused change stays. A parameter removed from the file goes back to its
base value or default on that same reload.
"""

import os
import time

from oslo_log import log as logging

from trove.conf import CONF
from trove.guestagent import errors

LOG = logging.getLogger(__name__)

POLL = 0.1


def setting_value(value):
    """A value as a postgresql.conf line takes it."""
    if isinstance(value, bool):
        return 'on' if value else 'off'
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return "'%s'" % value.replace('\\', '\\\\').replace("'", "''")


def render(overrides):
    lines = ['# Written by the guest agent: the configuration group '
             'attached to this instance.']
    for name in sorted(overrides):
        lines.append('%s = %s' % (name, setting_value(overrides[name])))
    return '\n'.join(lines) + '\n'


class PgLiveConfig:

    def __init__(self, engine):
        self.engine = engine

    @staticmethod
    def render(overrides):
        return render(overrides)

    # The server -----------------------------------------------------------
    def _query(self, statement, params=()):
        with self.engine.admin().cursor() as cursor:
            # The tenant's settings apply to this session too: none of
            # them may stop the agent's own queries.
            cursor.execute('SET statement_timeout = 0')
            cursor.execute(statement, params)
            return cursor.fetchall()

    def _load_time(self):
        # As a number: a tenant's DateStyle may be one clients cannot
        # parse.
        [(loaded,)] = self._query(
            'SELECT extract(epoch FROM pg_conf_load_time())::float8')
        return loaded

    def reload(self):
        """Reload and wait until new sessions see the new configuration."""
        before = self._load_time()
        self._query('SELECT pg_reload_conf()')
        timeout = CONF.state_change_wait_time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # A new session is forked from the postmaster: it has the
            # configuration once the postmaster has reloaded.
            loaded = self._load_time()
            if loaded > before:
                return
            time.sleep(POLL)
        raise errors.EngineError('PostgreSQL did not reload its '
                                 'configuration within %ss.' % timeout)

    def _file_errors(self):
        """{lower-case name: error} of the overrides file's lines."""
        rows = self._query(
            'SELECT name, error FROM pg_file_settings WHERE sourcefile = %s '
            'AND error IS NOT NULL', (self.engine.overrides_path,))
        return {name.lower(): error for name, error in rows}

    def _settings(self):
        """{lower-case name: (name, context, pending_restart)}."""
        rows = self._query('SELECT name, context, pending_restart '
                           'FROM pg_settings')
        return {name.lower(): (name, context, pending)
                for name, context, pending in rows}

    def _reason(self, name, log_text):
        """What the server logged about ``name``, else a plain reason."""
        quoted = '"%s"' % name.lower()
        for line in log_text.splitlines():
            if quoted in line.lower():
                return line.split(': ', 1)[-1].strip() if 'LOG:' in line \
                    else line.strip()
        return 'invalid value'

    # Applying ---------------------------------------------------------------
    def _log_offset(self):
        try:
            return os.path.getsize(self.engine.log_path)
        except OSError:
            return 0

    def apply(self, overrides, dropped, started, restore):
        log_offset = self._log_offset()
        self.reload()
        settings = self._settings()
        file_errors = self._file_errors()
        log_text = self.engine.read_log(log_offset)
        rejected = {name: 'unknown parameter' for name in overrides
                    if name.lower() not in settings}
        for key in file_errors:
            known = settings.get(key)
            if known is not None and known[1] == 'postmaster':
                continue    # changes at the restart: pending_restart says
            name = next((n for n in overrides if n.lower() == key), key)
            rejected[name] = self._reason(name, log_text)
        if rejected:
            restore()
            self.reload()
            return {'restart_required': [], 'rejected': rejected}
        given = {name.lower(): name for name in
                 list(overrides) + list(dropped) + list(started)}
        restart = sorted(given.get(key, name)
                         for key, (name, _context, pending)
                         in settings.items() if pending)
        return {'restart_required': restart, 'rejected': {}}
