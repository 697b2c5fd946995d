"""Databases and users as requested by users, checked before any guest call.

Names, hosts, character sets and passwords are validated with each
engine's rules here, so the guest only ever receives well-formed values
(it still quotes identifiers and binds values). The guest's wire form is
upstream's serialized model: ``{"_name", "_character_set", "_collate"}``
for databases and ``{"_name", "_host", "_password", "_databases"}`` for
users.
"""

import ipaddress
import re

from trove.common import exception
from trove.conf import CONF

MYSQL_FAMILY = ('mysql', 'mariadb')

_MYSQL_DB_NAME = re.compile(r'^[A-Za-z0-9_-]+(?:[\s?#@]*[A-Za-z0-9_-]+)?$')
_MYSQL_USER_FORBIDDEN = set('\'";`,/\\')
# MySQL-family character sets and collations go into SQL unquoted;
# PostgreSQL encodings and locales (e.g. "en_US.UTF-8") are bound.
_CHARSET = re.compile(r'^[A-Za-z0-9_]{1,32}$')
_PG_CHARSET = re.compile(r'^[A-Za-z0-9_.@-]{1,64}$')
MYSQL_MAX_DB_NAME = 64
MYSQL_MAX_USER_NAME = 16
POSTGRESQL_MAX_NAME = 63
DEFAULT_HOST = '%'


# The failover probes' engine account (doc/failover.md): no user's name,
# whatever ignore_users says.
SYSTEM_USERS = frozenset(['os_probe'])


def _reserved(manager, kind):
    always = SYSTEM_USERS if kind == 'users' else frozenset()
    if manager not in CONF:
        return set(always)
    return set(getattr(CONF.get(manager), 'ignore_' + kind)) | always


def _bad(message):
    raise exception.BadRequest(message)


def validate_database_name(manager, name):
    if not isinstance(name, str) or not name:
        _bad('Database name must be a non-empty string.')
    if manager in MYSQL_FAMILY:
        if len(name) > MYSQL_MAX_DB_NAME:
            _bad('Database name "%s" is longer than %d characters.'
                 % (name, MYSQL_MAX_DB_NAME))
        if not _MYSQL_DB_NAME.match(name):
            _bad('Database name "%s" may only contain letters, digits, '
                 '"_" and "-".' % name)
    else:
        _check_postgresql_name('Database', name)
    if name in _reserved(manager, 'dbs'):
        raise exception.ReservedName(name=name)


def _check_postgresql_name(kind, name):
    if len(name.encode('utf-8')) > POSTGRESQL_MAX_NAME:
        _bad('%s name "%s" is longer than %d bytes.'
             % (kind, name, POSTGRESQL_MAX_NAME))
    if '\x00' in name:
        _bad('%s name must not contain NUL characters.' % kind)
    if name.startswith('pg_'):
        _bad('%s name "%s" must not start with "pg_".' % (kind, name))


def validate_user_name(manager, name):
    if not isinstance(name, str) or not name:
        _bad('User name must be a non-empty string.')
    if manager in MYSQL_FAMILY:
        if len(name) > MYSQL_MAX_USER_NAME:
            _bad('User name "%s" is longer than %d characters.'
                 % (name, MYSQL_MAX_USER_NAME))
        if name != name.strip():
            _bad('User name "%s" must not start or end with spaces.' % name)
        if set(name) & _MYSQL_USER_FORBIDDEN:
            _bad('User name "%s" contains a forbidden character '
                 '(one of \' " ; ` , / \\).' % name)
    else:
        _check_postgresql_name('User', name)
    if name in _reserved(manager, 'users'):
        raise exception.ReservedName(name=name)


def validate_host(manager, host):
    if host is None or host == DEFAULT_HOST or manager not in MYSQL_FAMILY:
        return
    if not isinstance(host, str):
        _bad('User host must be a string.')
    if not CONF.hostname_require_valid_ip:
        return
    if not _is_address_pattern(host):
        _bad('User host "%s" is not "%%" or an IP address or network '
             '(%% wildcards allowed).' % host)


def _is_address_pattern(host):
    """An IP address or network, where "%" stands for any digits; a
    wildcard may end an IPv4 address early ("10.1.%", as MySQL allows)."""
    candidate = host.replace('%', '1')
    parts = candidate.split('.')
    if '%' in host and ':' not in host and len(parts) < 4:
        return all(part.isascii() and part.isdigit() and int(part) <= 255
                   for part in parts)
    try:
        ipaddress.ip_network(candidate, strict=False)
    except ValueError:
        return False
    return True


def validate_password(password):
    if not isinstance(password, str) or not password:
        _bad('Password must be a non-empty string.')
    if '\x00' in password:
        _bad('Password must not contain NUL characters.')


def _charset(manager, value, what):
    if value is None:
        return None
    pattern = _CHARSET if manager in MYSQL_FAMILY else _PG_CHARSET
    if not isinstance(value, str) or not pattern.match(value):
        _bad('%s "%s" is not valid.' % (what, value))
    return value


def serialize_database(manager, database):
    name = database.get('name')
    validate_database_name(manager, name)
    return {'_name': name,
            '_character_set': _charset(manager,
                                       database.get('character_set'),
                                       'Character set'),
            '_collate': _charset(manager, database.get('collate'),
                                 'Collation')}


def databases_for_create(manager, databases):
    names = set()
    result = []
    for database in databases:
        serialized = serialize_database(manager, database)
        if serialized['_name'] in names:
            raise exception.DatabaseAlreadyExists(name=serialized['_name'])
        names.add(serialized['_name'])
        result.append(serialized)
    return result


def serialize_user(manager, user):
    name = user.get('name')
    host = user.get('host') or None
    validate_user_name(manager, name)
    validate_host(manager, host)
    validate_password(user.get('password'))
    databases = []
    for database in user.get('databases') or []:
        validate_database_name(manager, database.get('name'))
        databases.append({'_name': database['name']})
    return {'_name': name, '_host': host or DEFAULT_HOST,
            '_password': user['password'], '_databases': databases}


def users_for_create(manager, users, databases=None):
    seen = set()
    result = []
    for user in users:
        serialized = serialize_user(manager, user)
        key = (serialized['_name'], serialized['_host'])
        if key in seen:
            raise exception.UserAlreadyExists(name='%s@%s' % key)
        seen.add(key)
        result.append(serialized)
    return result
