"""Limit/marker paging of collections and the ``next`` link.

A model query fetches one row more than the page size; if it comes back,
there is a next page and its marker is the key of the last row shown.
"""

import urllib.parse


def page_limit(context, page_size, maximum=None):
    """The number of items to show: ``page_size`` unless the request
    gives a ``limit``; that limit is capped at the page size, as upstream
    does for most collections, or at ``maximum`` for the lists where
    upstream takes any limit as given (backups)."""
    if context.limit is None:
        return page_size
    return min(context.limit, page_size if maximum is None else maximum)


def next_link(request, marker):
    query = [(k, v) for k, v in request.GET.items() if k != 'marker']
    query.append(('marker', marker))
    url = request.path_url + '?' + urllib.parse.urlencode(query)
    return [{'href': url, 'rel': 'next'}]


def paginated(request, key, items, limit, marker_of):
    """The collection body for a page fetched with ``limit + 1`` rows.

    ``items`` are views already; ``marker_of`` gives the marker of the
    item at a position.
    """
    body = {key: items[:limit]}
    if len(items) > limit:
        body['links'] = next_link(request, marker_of(limit - 1))
    return body
