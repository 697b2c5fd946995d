"""Names in URLs: user ids ``name`` or ``name@host`` and database names."""

from trove.extensions.common import guest_models

MYSQL_FAMILY = guest_models.MYSQL_FAMILY


def url_text(value):
    """A path segment as the text the client meant.

    The WSGI server has already percent-decoded PATH_INFO, and hands it
    over as its bytes read as latin-1 (PEP 3333): undo that to get UTF-8
    names back. It is not unquoted a second time, so a name holding a
    literal ``%41`` stays as it is.
    """
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def parse(manager, user_id):
    """(name, host) of a user id; the host defaults to "%" and means
    nothing outside the MySQL family (an "@" is part of the name there)."""
    user_id = url_text(user_id)
    if manager in MYSQL_FAMILY and '@' in user_id:
        name, host = user_id.rsplit('@', 1)
        return name, host or guest_models.DEFAULT_HOST
    return user_id, guest_models.DEFAULT_HOST

