"""Page keys: the marker of a next link that names where the next page
starts by the sort key of the last row shown (a time and an id), so a
page deep in a long list costs what the first one costs.

The form is ``k~<microseconds since the epoch>~<id>``: URL-safe as it is
(the clients copy the marker out of the link and send it back), and
never an integer, so lists that also take upstream's integer offsets
tell the two apart.
"""

import datetime

from trove.common import exception

PREFIX = 'k~'
_EPOCH = datetime.datetime(1970, 1, 1)
_MICROSECOND = datetime.timedelta(microseconds=1)
_MAX_ID_LENGTH = 64


def key_of(moment, row_id):
    """The marker of a row sorted by (moment, id); ``moment`` is a naive
    UTC datetime as the control database returns it."""
    return '%s%d~%s' % (PREFIX, (moment - _EPOCH) // _MICROSECOND, row_id)


def is_key(marker):
    return isinstance(marker, str) and marker.startswith(PREFIX)


def parse(marker):
    """(moment, id) of a marker made by key_of; BadRequest otherwise."""
    try:
        micros, row_id = marker[len(PREFIX):].split('~', 1)
        moment = _EPOCH + int(micros) * _MICROSECOND
    except (ValueError, OverflowError):
        raise exception.BadRequest(
            'The marker %r is not one this API gave in a next link.'
            % marker) from None
    if not row_id or len(row_id) > _MAX_ID_LENGTH:
        raise exception.BadRequest(
            'The marker %r is not one this API gave in a next link.'
            % marker)
    return moment, row_id
