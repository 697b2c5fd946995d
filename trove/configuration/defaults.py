"""The default configuration of an instance: its datastore's template
rendered for its current flavor, as ``{key: value}``
(``GET /instances/{id}/configuration``, the CLI's configuration-default).

Templates are MySQL option files (``[mysqld]`` section) or PostgreSQL
``key = value`` files; both parse here. Numbers become JSON integers,
quotes are removed, a bare MySQL option (``skip-external-locking``)
reads as 1, as upstream shows it.
"""

import re

from trove.common import template
from trove.flavor import models as flavor_models

# The section of a MySQL option file that configures the server.
SERVER_SECTIONS = ('mysqld', 'server', 'mariadb', 'mariadbd')
_LINE = re.compile(r'^\s*(?P<key>[A-Za-z0-9_.\-]+)\s*(?:=\s*(?P<value>.*?))?'
                   r'\s*$')


def _strip_comment(line):
    """``line`` without a trailing comment outside quotes."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in '\'"':
            quote = char
        elif char == '#':
            return line[:index]
    return line


def _value(text):
    if text is None:
        return 1
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in '\'"':
        return text[1:-1]
    if re.match(r'^-?\d+$', text):
        return int(text)
    return text


def parse_config(text):
    """{key: value} of a rendered configuration (server section only)."""
    values = {}
    section = None
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line[0] in '#;!':
            continue
        if line.startswith('['):
            section = line.strip('[]').strip().lower()
            continue
        if section is not None and section not in SERVER_SECTIONS:
            continue
        match = _LINE.match(_strip_comment(line))
        if match:
            values[match.group('key')] = _value(match.group('value'))
    return values


def default_configuration(context, instance):
    """The parsed default configuration of ``instance`` (an
    trove.instance.models.Instance) for its current flavor."""
    flavor = flavor_models.get_flavor(context, instance.row.flavor_id)
    version = instance.datastore_version
    rendered = template.render_config(
        flavor.to_dict(), version.datastore.name, version.name,
        version.manager, instance.id, version_number=version.version)
    return parse_config(rendered)
