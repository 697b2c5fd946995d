"""Limit/marker paging and the ``next`` link."""

import urllib.parse

import webob

from trove.common import context, pagination


def _context(limit=None, marker=None):
    return context.TroveContext(limit=limit, marker=marker, overwrite=False)


def test_page_limit_defaults_to_the_page_size():
    assert pagination.page_limit(_context(), 20) == 20


def test_page_limit_takes_a_smaller_request_limit():
    assert pagination.page_limit(_context(limit=5), 20) == 5


def test_page_limit_is_capped_at_the_page_size():
    assert pagination.page_limit(_context(limit=500), 20) == 20


def test_page_limit_takes_a_limit_up_to_the_maximum_when_given_one():
    assert pagination.page_limit(_context(limit=100), 20, maximum=1000) \
        == 100
    assert pagination.page_limit(_context(limit=5000), 20, maximum=1000) \
        == 1000
    assert pagination.page_limit(_context(), 20, maximum=1000) == 20


def _items(count):
    return [{'id': 'id-%02d' % i} for i in range(count)]


def test_no_next_link_when_everything_fits():
    request = webob.Request.blank('/v1.0/p1/instances')
    body = pagination.paginated(request, 'instances', _items(3), 3,
                                lambda i: 'unused')
    assert body == {'instances': _items(3)}


def test_next_link_carries_the_marker_of_the_last_item_shown():
    request = webob.Request.blank(
        'http://api.test/v1.0/p1/instances?limit=2&marker=old&x=y')
    items = _items(3)  # fetched limit + 1
    body = pagination.paginated(request, 'instances', items, 2,
                                lambda i: items[i]['id'])
    assert body['instances'] == items[:2]
    [link] = body['links']
    assert link['rel'] == 'next'
    url = urllib.parse.urlsplit(link['href'])
    assert url.path == '/v1.0/p1/instances'
    assert url.netloc == 'api.test'
    query = urllib.parse.parse_qs(url.query)
    assert query == {'limit': ['2'], 'x': ['y'], 'marker': ['id-01']}
