"""``?limit=`` on every paged collection, against upstream's behaviour.

Upstream's backup lists take the request's limit as given (``int(limit
or backups_page_size)``): here up to ``backups_max_page_size``. Its other
lists cut the limit to their page size; so do ours. Rows only (the
benchmark seed, through the real paste pipeline in this process).
"""

import urllib.parse

import pytest

from bench import api_seed
from tests.functional.api import app as api_app
from trove.common import page_keys
from trove.conf import CONF

pytestmark = pytest.mark.functional

BASE = '/v1.0/%s' % api_seed.PROJECT
BACKUPS = 130


@pytest.fixture(scope='module')
def api(tmp_path_factory):
    state = tmp_path_factory.mktemp('page-limits')
    url = 'sqlite:///%s' % (state / 'trove.sqlite')
    seeded = api_seed.seed(url, instances=30, backups=BACKUPS,
                           configurations=30)
    with api_app.in_process_api(url, state) as api:
        api.seeded = seeded
        yield api


def _page(api, path, key):
    response = api.get(BASE + path)
    assert response.status_int == 200, response.text
    body = response.json
    marker = None
    if 'links' in body:
        [link] = body['links']
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(
            link['href']).query)
        marker = query['marker'][0]
    return body[key], marker


def test_backup_list_takes_a_limit_above_the_page_size(api):
    shown, marker = _page(api, '/backups?limit=100', 'backups')
    assert len(shown) == 100
    assert page_keys.is_key(marker)
    rest, last = _page(api, '/backups?limit=100&marker=' + marker,
                       'backups')
    assert len(rest) == BACKUPS - 100 and last is None
    assert not {b['id'] for b in shown} & {b['id'] for b in rest}
    # Upstream's integer offset, as an older next link held it.
    by_offset, _last = _page(api, '/backups?limit=100&marker=100',
                             'backups')
    assert by_offset == rest


def test_following_the_next_links_shows_every_backup_once(api):
    seen, marker = [], None
    while True:
        path = '/backups?limit=7' + ('&marker=' + marker if marker else '')
        shown, marker = _page(api, path, 'backups')
        seen.extend(b['id'] for b in shown)
        if marker is None:
            break
    everything, _marker = _page(api, '/backups?limit=1000', 'backups')
    assert seen == [b['id'] for b in everything]
    assert len(seen) == BACKUPS


@pytest.mark.parametrize('marker', ['k~', 'k~x~id', 'k~1~', 'k~%d~id' % 10 ** 23,
                                    'abc', '-1'])
def test_a_marker_this_api_never_gave_is_a_400(api, marker):
    response = api.get(BASE + '/backups?marker=' + marker)
    assert response.status_int == 400, response.text
    assert 'badRequest' in response.json


def test_backup_list_without_limit_shows_the_page_size(api):
    shown, marker = _page(api, '/backups', 'backups')
    assert len(shown) == CONF.backups_page_size == 20
    assert page_keys.parse(marker)[1] == shown[-1]['id']


def test_backups_of_an_instance_take_the_limit_too(api):
    instance_id = api.seeded['shown_instance']
    everything, _marker = _page(api, '/backups?limit=1000', 'backups')
    expected = [b['id'] for b in everything if b['instance_id'] ==
                instance_id]
    assert len(expected) > 3
    shown, _marker = _page(api, '/instances/%s/backups?limit=%d'
                           % (instance_id, len(expected)), 'backups')
    assert [b['id'] for b in shown] == expected


def test_backup_limit_is_capped_at_the_documented_maximum(api):
    CONF.set_override('backups_max_page_size', 50)
    try:
        shown, marker = _page(api, '/backups?limit=100000', 'backups')
    finally:
        CONF.clear_override('backups_max_page_size')
    assert len(shown) == 50 and page_keys.parse(marker)[1] == shown[-1]['id']


@pytest.mark.parametrize('path, key', [
    ('/instances', 'instances'),
    ('/instances/detail', 'instances'),
    ('/configurations', 'configurations'),
])
def test_other_lists_cut_the_limit_to_their_page_size(api, path, key):
    shown, marker = _page(api, path + '?limit=100', key)
    assert len(shown) == 20
    assert marker == shown[-1]['id']
    fewer, _marker = _page(api, path + '?limit=7', key)
    assert [item['id'] for item in fewer] == [
        item['id'] for item in shown[:7]]
