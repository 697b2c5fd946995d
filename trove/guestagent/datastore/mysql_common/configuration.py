"""Live configuration of a MySQL-family server: the overrides option file
and SET GLOBAL.

What the server says decides what happens: a variable that is
``READ_ONLY`` in ``information_schema.SYSTEM_VARIABLES`` (MariaDB), or
that SET GLOBAL refuses as read only (MySQL, which has no such table),
only changes at a restart; it needs one when its value differs from the
one the server last started with. Every other variable is set with
``SET GLOBAL `name` = %s`` (quoted identifier, bound value). If the
server refuses a value, the variables already set get their old values
back and the previous overrides file is restored, so a change is applied
entirely or not at all. A parameter removed from the group goes back to
its value in the base configuration (the rendered template), or to the
server's default.
"""

import dataclasses
import re

from oslo_log import log as logging
from trove.guestagent.datastore.mysql_common.driver import pymysql

from trove.guestagent import operating_system
from trove.guestagent.datastore.mysql_common import admin as mysql_admin

LOG = logging.getLogger(__name__)

INTEGER_TYPES = ('INT', 'INT UNSIGNED', 'BIGINT', 'BIGINT UNSIGNED')
ER_READ_ONLY_VARIABLE = 1238
SERVER_SECTIONS = ('mysqld', 'server', 'mariadb', 'mariadbd')
_PLAIN = re.compile(r'^[\w.,=+:/-]+$')
_SIZE = re.compile(r'^(?P<number>\d+)(?P<unit>[KMGTPE]?)$', re.IGNORECASE)
_UNITS = {'': 1, 'K': 2 ** 10, 'M': 2 ** 20, 'G': 2 ** 30, 'T': 2 ** 40,
          'P': 2 ** 50, 'E': 2 ** 60}


@dataclasses.dataclass
class Variable:
    name: str
    var_type: str | None
    read_only: bool
    value: object


def variable_name(name):
    """Option names may use dashes; variables use underscores."""
    return name.replace('-', '_').lower()


def option_value(value):
    """A value as an option file line takes it."""
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    if not isinstance(value, str):
        return str(value)
    if _PLAIN.match(value):
        return value
    for quote in ('"', "'"):
        if quote not in value:
            # Option files read \\ as one backslash, in quotes too.
            return quote + value.replace('\\', '\\\\') + quote
    raise ValueError('the value cannot be quoted in an option file: %r'
                     % value)


def render(overrides):
    lines = ['# Written by the guest agent: the configuration group '
             'attached to this instance.', '[mysqld]']
    for name in sorted(overrides):
        lines.append('%s = %s' % (name, option_value(overrides[name])))
    return '\n'.join(lines) + '\n'


def parse_option_file(text):
    """{variable name: raw value} of the server sections of an option
    file (the base configuration), for resetting removed parameters."""
    values = {}
    section = None
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line[0] in '#;!':
            continue
        if line.startswith('['):
            section = line.strip('[]').strip().lower()
            continue
        if section not in SERVER_SECTIONS:
            continue
        name, _sep, value = line.partition('=')
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '\'"':
            value = value[1:-1]
        values[variable_name(name.strip())] = value if _sep else 'ON'
    return values


def sql_value(variable, value):
    """``value`` (JSON or option-file text) as SET GLOBAL takes it for
    ``variable``: numbers for numeric variables (``64M`` -> bytes)."""
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    var_type = variable.var_type if variable else None
    if isinstance(value, str) and var_type in INTEGER_TYPES:
        match = _SIZE.match(value.strip())
        if match:
            return int(match.group('number')) * _UNITS[
                match.group('unit').upper()]
    if isinstance(value, str) and var_type == 'DOUBLE':
        try:
            return float(value)
        except ValueError:
            return value
    return value


class MySqlLiveConfig:

    def __init__(self, engine):
        self.engine = engine

    @staticmethod
    def render(overrides):
        try:
            return render(overrides)
        except ValueError as error:
            from trove.guestagent import errors
            raise errors.GuestAgentError(str(error)) from error

    # What the server says -------------------------------------------------
    @staticmethod
    def _metadata(cursor, names):
        """{name: Variable} from SYSTEM_VARIABLES; None without it
        (MySQL)."""
        if not names:
            return {}
        wanted = sorted({variable_name(n).upper() for n in names})
        try:
            cursor.execute(
                'SELECT LOWER(VARIABLE_NAME), VARIABLE_TYPE, READ_ONLY, '
                'GLOBAL_VALUE FROM information_schema.SYSTEM_VARIABLES '
                'WHERE VARIABLE_NAME IN (%s)' % ', '.join(['%s'] * len(
                    wanted)), wanted)
        except pymysql.MySQLError as error:
            LOG.info('No SYSTEM_VARIABLES (%s); learning read-only '
                     'variables from SET GLOBAL', error)
            return None
        return {row[0]: Variable(row[0], row[1], row[2] == 'YES', row[3])
                for row in cursor.fetchall()}

    @staticmethod
    def _global(cursor, name):
        cursor.execute('SELECT @@GLOBAL.%s' % mysql_admin.quote_identifier(
            variable_name(name)))
        return cursor.fetchone()[0]

    def _base_values(self):
        return parse_option_file(operating_system.read_file(
            self.engine.base_config_path, ''))

    # Changes ----------------------------------------------------------------
    @staticmethod
    def _set(cursor, name, value):
        cursor.execute('SET GLOBAL %s = %%s' % mysql_admin.quote_identifier(
            variable_name(name)), (value,))

    def _reset(self, cursor, name, variable, base):
        """Back to the base configuration's value or the default; False
        if the variable turns out to be read only."""
        key = variable_name(name)
        try:
            if key in base:
                self._set(cursor, name, sql_value(variable, base[key]))
            else:
                cursor.execute('SET GLOBAL %s = DEFAULT'
                               % mysql_admin.quote_identifier(key))
        except pymysql.MySQLError as error:
            if error.args and error.args[0] == ER_READ_ONLY_VARIABLE:
                return False
            LOG.warning('Could not reset %s: %s', name, error)
        return True

    def _revert(self, cursor, done, metadata):
        for name, old in reversed(done):
            variable = (metadata or {}).get(variable_name(name))
            try:
                if old is None:
                    cursor.execute('SET GLOBAL %s = DEFAULT'
                                   % mysql_admin.quote_identifier(
                                       variable_name(name)))
                else:
                    self._set(cursor, name, sql_value(variable, old))
            except pymysql.MySQLError as error:
                LOG.error('Could not give %s its old value back: %s', name,
                          error)

    def apply(self, overrides, dropped, started, restore):
        names = set(overrides) | set(dropped) | set(started)
        rejected = {}
        with self.engine.admin().cursor() as cursor:
            metadata = self._metadata(cursor, names)
            static = set()
            if metadata is not None:
                rejected = {n: 'unknown variable' for n in overrides
                            if variable_name(n) not in metadata}
                static = {n for n in names if variable_name(n) in metadata
                          and metadata[variable_name(n)].read_only}
            done = []
            for name in sorted(overrides):
                if rejected:
                    break
                if name in static:
                    continue
                variable = (metadata or {}).get(variable_name(name))
                try:
                    old = variable.value if variable else self._global(
                        cursor, name)
                    self._set(cursor, name,
                              sql_value(variable, overrides[name]))
                except pymysql.MySQLError as error:
                    if error.args and error.args[0] == ER_READ_ONLY_VARIABLE:
                        static.add(name)
                        continue
                    rejected[name] = error.args[-1] if error.args else \
                        str(error)
                    break
                done.append((name, old))
            if rejected:
                self._revert(cursor, done, metadata)
                restore()
                return {'restart_required': [], 'rejected': rejected}
            base = self._base_values()
            for name in dropped:
                if name not in static and not self._reset(
                        cursor, name, (metadata or {}).get(
                            variable_name(name)), base):
                    static.add(name)
        restart = sorted(n for n in static
                         if overrides.get(n) != started.get(n))
        return {'restart_required': restart, 'rejected': {}}
