"""The admin check every management action starts with."""

from trove.common import exception


def require_admin(context):
    """Refuse a caller without the admin role (403 forbidden).

    Upstream answers 401 here; see doc/compatibility.md.
    """
    if context is None or not context.is_admin:
        raise exception.Forbidden()
