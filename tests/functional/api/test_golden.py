"""Responses have the keys of upstream's api-ref samples.

Every deliberate difference is listed here with its reason, and in
doc/compatibility.md.
"""

import pytest

from tests.functional.api import shapes
from tests.functional.responses import ok as _ok

pytestmark = pytest.mark.functional

BASE = '/v1.0/p1'
MGMT = BASE + '/mgmt'

# Newer upstream views emit these; the samples predate them.
MGMT_VERSION_EXTRAS = ('image_tags', 'registry_ext', 'repl_strategy')


@pytest.fixture
def sample(api_samples_dir):
    return lambda name: shapes.load_sample(api_samples_dir, name)


def test_versions(api, sample):
    ours = _ok(api.get('/'))
    shapes.assert_same_keys(ours, sample('versions-response.json'))


def test_datastore_list(api, sample):
    ours = _ok(api.get(BASE + '/datastores'))
    assert ours['datastores'][0]['name'] == 'mariadb'
    shapes.assert_same_keys(ours, sample('datastore-list-response.json'))


def test_datastore_show(api, sample):
    ours = _ok(api.get(BASE + '/datastores/postgresql'))
    shapes.assert_same_keys(ours, sample('datastore-show-response.json'))


def test_datastore_version_list(api, sample):
    ours = _ok(api.get(BASE + '/datastores/postgresql/versions'))
    shapes.assert_same_keys(ours,
                            sample('datastore-version-list-response.json'))


def test_datastore_version_show_as_admin(api, ids, sample):
    ours = _ok(api.admin('GET', BASE + '/datastores/versions/'
                         + ids['mysql-version']))
    shapes.assert_same_keys(ours,
                            sample('datastore-version-show-response.json'))


def test_datastore_version_parameter_list(api, sample):
    ours = _ok(api.get(BASE + '/datastores/mysql/versions/8.0/parameters'))
    assert ours['configuration-parameters'][0]['name'] == 'autocommit'
    shapes.assert_same_keys(
        ours, sample('datastore-version-parameter-list-response.json'))


def test_datastore_version_parameter_show(api, ids, sample):
    ours = _ok(api.get(BASE + '/datastores/versions/%s/parameters/'
                       'wait_timeout' % ids['mysql-version']))
    shapes.assert_same_keys(
        ours, sample('datastore-version-parameter-show-response.json'))


def test_limits(api, sample):
    ours = _ok(api.get(BASE + '/limits'))
    expected = sample('limit-show-response.json')
    # max_ram: upstream's view emits it (ram quota), its sample omits it.
    shapes.assert_same_keys(ours, expected,
                            only_ours=['limits[].max_ram'])
    assert len(ours['limits']) == len(expected['limits'])
    pairs = zip(ours['limits'][1:], expected['limits'][1:], strict=True)
    for mine, theirs in pairs:
        shapes.assert_same_keys(mine, theirs)
        assert (mine['verb'], mine['uri'], mine['regex'], mine['unit']) == (
            theirs['verb'], theirs['uri'], theirs['regex'], theirs['unit'])


def test_mgmt_datastore_version_list(api, sample):
    ours = _ok(api.admin('GET', MGMT + '/datastore-versions'))
    shapes.assert_same_keys(
        ours, sample('datastore-version-mgmt-list-response.json'),
        only_ours=['versions[].' + key for key in MGMT_VERSION_EXTRAS])


def test_mgmt_datastore_version_show(api, ids, sample):
    ours = _ok(api.admin('GET', MGMT + '/datastore-versions/'
                         + ids['mariadb-version']))
    shapes.assert_same_keys(
        ours, sample('datastore-version-mgmt-show-response.json'),
        only_ours=['version.' + key for key in MGMT_VERSION_EXTRAS])


def test_mgmt_requests_from_the_samples_are_accepted(api, sample):
    create = sample('datastore-version-create-request.json')
    _ok(api.admin('POST', MGMT + '/datastore-versions', create), 202)
    versions = _ok(api.admin('GET', MGMT + '/datastore-versions'))
    [created] = [v for v in versions['versions']
                 if v['name'] == create['version']['name']]
    patch = sample('datastore-version-mgmt-patch-request.json')
    _ok(api.admin('PATCH', MGMT + '/datastore-versions/' + created['id'],
                  patch), 202)
    shown = _ok(api.admin('GET', MGMT + '/datastore-versions/'
                          + created['id']))['version']
    assert (shown['name'], shown['image'], shown['version']) == (
        patch['name'], patch['image'], create['version']['version'])


def _parameters_url(ids):
    return MGMT + '/datastores/versions/%s/parameters' % ids[
        'postgresql-version']


def test_mgmt_parameter_create(api, ids, sample):
    request = sample('datastore-version-parameter-create-request.json')
    ours = _ok(api.admin('POST', _parameters_url(ids), request))
    # The create sample shows a list wrapped in "configuration-parameters"
    # with max/min; upstream's controller answers with the bare parameter
    # and max_size/min_size, as the update sample shows. We do the same.
    [expected] = sample('datastore-version-parameter-create-response.json')[
        'configuration-parameters']
    shapes.assert_same_keys(ours, expected,
                            only_ours=['max_size', 'min_size'],
                            only_sample=['max', 'min'])
    assert (ours['max_size'], ours['min_size']) == (expected['max'],
                                                    expected['min'])


def test_mgmt_parameter_update(api, ids, sample):
    create = sample('datastore-version-parameter-create-request.json')
    _ok(api.admin('POST', _parameters_url(ids), create))
    request = sample('datastore-version-parameter-update-request.json')
    name = request['configuration-parameter']['name']
    ours = _ok(api.admin('PUT', _parameters_url(ids) + '/' + name, request))
    expected = sample('datastore-version-parameter-update-response.json')
    # deleted/deleted_at: columns the sample leaks; upstream's current view
    # does not emit them and neither do we.
    shapes.assert_same_keys(ours, expected,
                            only_sample=['deleted', 'deleted_at'])
    assert ours['restart_required'] is True
