"""The local provider's read-only Nova and Cinder routes (what Horizon's
Database panel reads), served as trove-local serves them: one process on a
free loopback port, its trove.conf on a migrated control database, real
Keystone tokens, stopped by its pid."""

import shutil
import socket

import pytest
import requests

from tests.functional.api import app as api_app
from tests.helpers.identity import world_readable_temp_dir
from tests.helpers.processes import wait_until
from trove.common import context, daemon
from trove.compute.local import choices
from trove.compute.local import flavors as local_flavors
from trove.db import api as db_api
from trove.localenv import compute_routes_runner
from trove.localenv import config as local_config

pytestmark = pytest.mark.functional

FLAVORS = [('7', 'seven', 768, 2, 3), ('8', 'eight', 2048, 4, 10),
           ('x1', 'lettered', 256, 1, 1)]


@pytest.fixture(scope='module')
def routes(keystone_server):
    """The routes of a fresh state dir whose flavors table holds FLAVORS;
    yields the state dir."""
    state_dir = world_readable_temp_dir('trove-compute-routes-')
    config = local_config.LocalConfig(state_dir,
                                      identity=keystone_server.identity)
    config.write()
    api_app.migrate(config.control_db)
    db_api.configure(config.control_db)
    try:
        admin = context.get_admin_context()
        for flavor_id, name, ram, vcpus, disk in FLAVORS:
            local_flavors.LocalFlavors().create(
                admin, name, ram, vcpus, disk, flavor_id=flavor_id)
    finally:
        db_api.configure()
    try:
        compute_routes_runner.start(state_dir, config.trove_conf)
        yield state_dir
    finally:
        compute_routes_runner.stop(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(scope='module')
def alice(keystone_server):
    return keystone_server.token('alice')


def _get(routes, path, token=None):
    headers = {'X-Auth-Token': token.token} if token else {}
    return requests.get(compute_routes_runner.base_url(routes) + path,
                        headers=headers, timeout=30)


def _volume_path(token, path, project_id=None):
    return '/volume/v3/%s%s' % (project_id or token.project_id, path)


def test_version_documents_need_no_token(routes):
    nova = _get(routes, '/compute/v2.1/')
    assert nova.status_code == 200
    assert nova.json()['version']['version'] == '2.1'
    cinder = _get(routes, '/volume/')
    assert cinder.status_code == 200
    assert [v['id'] for v in cinder.json()['versions']] == ['v3.0']


def test_resources_need_a_valid_token(routes):
    assert _get(routes, '/compute/v2.1/flavors').status_code == 401
    response = requests.get(
        compute_routes_runner.base_url(routes) + '/compute/v2.1/flavors',
        headers={'X-Auth-Token': 'not-a-token'}, timeout=30)
    assert response.status_code == 401


def test_flavors_detail_is_the_flavors_table(routes, alice):
    response = _get(routes, '/compute/v2.1/flavors/detail', alice)
    assert response.status_code == 200, response.text
    assert response.headers['X-OpenStack-Nova-API-Version'] == '2.1'
    listed = [(f['id'], f['name'], f['ram'], f['vcpus'], f['disk'])
              for f in response.json()['flavors']]
    assert listed == FLAVORS
    first = response.json()['flavors'][0]
    assert first['OS-FLV-EXT-DATA:ephemeral'] == 0
    assert first['os-flavor-access:is_public'] is True
    assert first['links'][0]['href'].endswith('/compute/v2.1/flavors/7')


def test_flavor_list_is_brief_and_pages(routes, alice):
    brief = _get(routes, '/compute/v2.1/flavors', alice).json()['flavors']
    assert [sorted(f) for f in brief] == [['id', 'links', 'name']] * 3
    page = _get(routes, '/compute/v2.1/flavors?limit=1&marker=7', alice)
    assert [f['id'] for f in page.json()['flavors']] == ['8']
    bad = _get(routes, '/compute/v2.1/flavors?marker=nope', alice)
    assert bad.status_code == 400
    assert 'nope' in bad.json()['badRequest']['message']


def test_flavor_show_and_unknown_flavor(routes, alice):
    shown = _get(routes, '/compute/v2.1/flavors/x1', alice).json()['flavor']
    assert (shown['name'], shown['ram']) == ('lettered', 256)
    assert _get(routes, '/compute/v2.1/flavors/x1/os-extra_specs',
                alice).json() == {'extra_specs': {}}
    missing = _get(routes, '/compute/v2.1/flavors/404', alice)
    assert missing.status_code == 404
    assert list(missing.json()) == ['itemNotFound']


def test_one_availability_zone(routes, alice):
    zones = _get(routes, '/compute/v2.1/os-availability-zone', alice).json()
    assert [z['zoneName'] for z in zones['availabilityZoneInfo']] == \
        choices.availability_zones()
    assert zones['availabilityZoneInfo'][0]['zoneState'] == {
        'available': True}


def test_volume_types_of_the_local_provider(routes, alice):
    listed = _get(routes, _volume_path(alice, '/types'), alice)
    assert listed.status_code == 200, listed.text
    assert listed.headers['OpenStack-API-Version'] == 'volume 3.0'
    expected = choices.default_volume_type()
    assert [(t['id'], t['name']) for t in listed.json()['volume_types']] == \
        [(expected.id, expected.name)]
    for key in ('default', expected.id, expected.name):
        shown = _get(routes, _volume_path(alice, '/types/' + key), alice)
        assert shown.json()['volume_type']['id'] == expected.id
    missing = _get(routes, _volume_path(alice, '/types/gold'), alice)
    assert missing.status_code == 404
    assert 'gold' in missing.json()['itemNotFound']['message']


def test_another_projects_volume_url_is_refused(routes, alice,
                                                keystone_server):
    beta = keystone_server.identity.projects['beta']
    response = _get(routes, _volume_path(alice, '/types', beta), alice)
    assert response.status_code == 403
    assert beta in response.json()['forbidden']['message']


def test_only_reads_are_served(routes, alice):
    response = requests.post(
        compute_routes_runner.base_url(routes) + '/compute/v2.1/flavors',
        json={'flavor': {'name': 'new'}},
        headers={'X-Auth-Token': alice.token}, timeout=30)
    assert response.status_code == 405


def test_stop_by_pid_and_port_kept_unless_taken(keystone_server):
    state_dir = world_readable_temp_dir('trove-compute-routes-stop-')
    try:
        config = local_config.LocalConfig(state_dir,
                                          identity=keystone_server.identity)
        config.write()
        pid = compute_routes_runner.start(state_dir, config.trove_conf)
        # A second start finds it running.
        assert compute_routes_runner.start(state_dir,
                                           config.trove_conf) == pid
        port = compute_routes_runner.port(state_dir)
        assert compute_routes_runner.stop(state_dir) == pid
        wait_until(lambda: not daemon.pid_alive(pid), timeout=15)
        assert compute_routes_runner.running_pid(state_dir) is None
        assert compute_routes_runner.port(state_dir) == port
        # Another program took the port meanwhile: the next start (and
        # the catalog) moves to a free one.
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(('127.0.0.1', port))
            squatter.listen()
            moved = compute_routes_runner.port(state_dir)
            assert moved != port
            assert compute_routes_runner.catalog_entries(state_dir)[0][2] \
                == 'http://127.0.0.1:%d/compute/v2.1' % moved
    finally:
        compute_routes_runner.stop(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)
