"""Paging of the guest's database and user listings."""

from trove.guestagent.datastore import sql_endpoints


def _names(*names):
    return [{'_name': n} for n in names]


def _page(items, **kwargs):
    return sql_endpoints.paginate(items, sql_endpoints.database_key,
                                  **kwargs)


def test_everything_without_a_limit_sorted():
    page, marker = _page(_names('b', 'c', 'a'))
    assert [d['_name'] for d in page] == ['a', 'b', 'c']
    assert marker is None


def test_limit_gives_the_last_key_shown_as_marker():
    page, marker = _page(_names('b', 'c', 'a'), limit=2)
    assert [d['_name'] for d in page] == ['a', 'b']
    assert marker == 'b'


def test_no_marker_when_the_page_holds_the_rest():
    page, marker = _page(_names('a', 'b'), limit=2)
    assert len(page) == 2 and marker is None


def test_marker_starts_after_it_or_at_it_when_included():
    items = _names('a', 'b', 'c')
    assert [d['_name'] for d in _page(items, marker='a')[0]] == ['b', 'c']
    assert [d['_name'] for d in _page(items, marker='b',
                                      include_marker=True)[0]] == ['b', 'c']


def test_code_point_order_whatever_the_engine_collation():
    page, _ = _page(_names('b', 'B', 'é', 'a'))
    assert [d['_name'] for d in page] == ['B', 'a', 'b', 'é']


def test_users_page_by_their_own_marker():
    users = [{'_name': 'u', '_host': '%'}, {'_name': 'u', '_host': '10.%'},
             {'_name': 'a', '_host': '%'}]
    page, marker = sql_endpoints.paginate(
        users, lambda u: '%s@%s' % (u['_name'], u['_host']), limit=2)
    assert [(u['_name'], u['_host']) for u in page] == [('a', '%'),
                                                        ('u', '%')]
    assert marker == 'u@%'
