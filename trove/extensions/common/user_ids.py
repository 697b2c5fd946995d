"""User ids in URLs: ``name`` or ``name@host``, URL-encoded."""

import urllib.parse

from trove.extensions.common import guest_models

MYSQL_FAMILY = guest_models.MYSQL_FAMILY


def parse(manager, user_id):
    """(name, host) of a user id; the host defaults to "%"."""
    user_id = urllib.parse.unquote(user_id)
    if manager in MYSQL_FAMILY and '@' in user_id:
        name, host = user_id.rsplit('@', 1)
        return name, host or guest_models.DEFAULT_HOST
    return user_id, guest_models.DEFAULT_HOST


def marker_of(serialized):
    return '%s@%s' % (serialized['_name'],
                      serialized.get('_host') or guest_models.DEFAULT_HOST)
