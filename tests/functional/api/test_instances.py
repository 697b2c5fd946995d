"""Instances through the API: upstream's sample shapes, list paging,
clustered instances and project isolation.

The API runs in this process on a seeded SQLite control database
(``api`` fixture). Instance rows are written directly, as the taskmanager
leaves them; a create casts over a private RabbitMQ vhost to a recording
taskmanager, and a fake guest agent answers the volume-usage call that
showing an instance makes.
"""

import contextlib
import datetime
import json
import urllib.parse
import uuid

import oslo_messaging as messaging
import pytest

from tests.functional.api import shapes
from tests.functional.responses import fault, ok
from tests.functional.backup.conftest import recording_taskmanager
from trove.common import context as trove_context
from trove.common import service, states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.guestagent import api as guest_api
from trove.records import faults
from trove.records import service_status

pytestmark = pytest.mark.functional

PROJECT = 'instance-project'
OTHER_PROJECT = 'other-project'
BASE = '/v1.0/' + PROJECT
# What Neutron gives a public instance, as in upstream's samples.
ADDRESSES = [{'address': '10.1.0.62', 'type': 'private',
              'network': '3dc8f3c2-f335-11eb-878c-00224d6b7bc1'},
             {'address': '172.24.5.114', 'type': 'public'}]
USED_GB = 0.1333

# Upstream's current InstanceView emits flavor links, access and addresses
# (the detail sample shows addresses); the list sample predates the rest.
FLAVOR_LINKS = ['flavor.links', 'flavor.links[].href', 'flavor.links[].rel']
ACCESS = ['access', 'access.is_public']
LIST_EXTRAS = FLAVOR_LINKS + ACCESS + [
    'addresses', 'addresses[].address', 'addresses[].type',
    'addresses[].network']
# Likewise datastore.version_number, added to InstanceDetailView after the
# list-detail and show samples were made (the create sample has it).
DETAIL_EXTRAS = FLAVOR_LINKS + ACCESS + ['datastore.version_number']
# Only in the show view (doc/pitr.md).
PITR_WINDOW = ['restorable_window', 'restorable_window.earliest',
               'restorable_window.latest', 'restorable_window.gaps']


def under(prefix, keys):
    return [prefix + key for key in keys]


@pytest.fixture
def sample(api_samples_dir):
    return lambda name: shapes.load_sample(api_samples_dir, name)


@pytest.fixture
def taskmanager(api, rabbit_transport_url):
    """A recording taskmanager on the session's private vhost, where fake
    guests may be served too (as tests/functional/backup's ``world``)."""
    with recording_taskmanager(rabbit_transport_url) as recorder:
        yield recorder


class FakeGuest:
    """Answers the one guest call an instance show makes."""

    target = messaging.Target(version='1.3')

    def get_filesystem_stats(self, context, fs_path=None):
        return {'used': USED_GB, 'total': 1.0}


@contextlib.contextmanager
def fake_guest(instance_id):
    server = service.RpcService(guest_api.topic(instance_id), instance_id,
                                [FakeGuest()])
    server.start()
    try:
        yield
    finally:
        server.stop()


def add_instance(ids, project=PROJECT, name=None, created=None,
                 cluster_id=None):
    """An ACTIVE, HEALTHY instance row as the taskmanager leaves one (the
    in-process API keeps db_api on its database while a test runs)."""
    created = created or db_models.utcnow()
    task = states.InstanceTasks.NONE
    with db_api.writer(trove_context.get_admin_context()) as session:
        row = db_models.Instance(
            name=name or 'db-' + uuid.uuid4().hex[:6], tenant_id=project,
            flavor_id='1', volume_size=1,
            datastore_version_id=ids['mysql-version'],
            task_id=task.code, task_description=task.db_text,
            server_status=states.ServerStatus.ACTIVE,
            compute_instance_id='srv', region_id='RegionOne',
            addresses=json.dumps(ADDRESSES), cluster_id=cluster_id,
            created=created, updated=created)
        session.add(row)
        session.flush()
        service_status.create(session, row.id,
                              states.ServiceStatuses.HEALTHY)
        return row.id


def add_cluster(ids):
    with db_api.writer(trove_context.get_admin_context()) as session:
        row = db_models.Cluster(name='cluster', task_id=1,
                                tenant_id=PROJECT,
                                datastore_version_id=ids['mysql-version'])
        session.add(row)
        session.flush()
        return row.id


# Golden shapes ---------------------------------------------------------------

def test_list_has_the_keys_of_the_sample(api, ids, sample):
    add_instance(ids)
    ours = ok(api.get(BASE + '/instances'))
    shapes.assert_same_keys(ours, sample('instance-list-response.json'),
                            only_ours=under('instances[].', LIST_EXTRAS))
    [listed] = ours['instances']
    assert (listed['status'], listed['operating_status']) == ('ACTIVE',
                                                              'HEALTHY')
    assert listed['ip'] == [a['address'] for a in ADDRESSES]
    # No access stored: public because the server has a public address.
    assert listed['access'] == {'is_public': True}


def test_list_detail_has_the_keys_of_the_sample(api, ids, sample):
    add_instance(ids)
    ours = ok(api.get(BASE + '/instances/detail'))
    shapes.assert_same_keys(ours,
                            sample('instance-list-detail-response.json'),
                            only_ours=under('instances[].', DETAIL_EXTRAS))
    assert ours['instances'][0]['addresses'] == ADDRESSES


def test_show_has_the_keys_of_the_sample(taskmanager, api, ids, sample):
    instance_id = add_instance(ids)
    with fake_guest(instance_id):
        ours = ok(api.get(BASE + '/instances/' + instance_id))
    shapes.assert_same_keys(ours, sample('instance-show-response.json'),
                            only_ours=under('instance.', DETAIL_EXTRAS
                                            + PITR_WINDOW))
    # Point-in-time recovery: no backup, no archive, no window.
    assert ours['instance']['restorable_window'] == {
        'earliest': None, 'latest': None, 'gaps': []}
    # The guest's usage, in GB and percent of the 1 GB volume.
    assert ours['instance']['volume'] == {'size': 1, 'used': 0.13,
                                          'used_percent': 13.0}


def test_create_from_the_sample_request(taskmanager, api, sample):
    request = sample('instance-create-request.json')
    # Its flavorRef 1 is our seeded "small"; MySQL 5.7 is not seeded; the
    # local provider has no networks (a nic is refused, below).
    request['instance']['datastore'] = {'type': 'mysql', 'version': '8.0'}
    del request['instance']['nics']
    ours = ok(api.request('POST', BASE + '/instances', request))
    # We show the access that was stored, allowed_cidrs included, as
    # upstream's view does; the sample was made without allowed_cidrs.
    shapes.assert_same_keys(ours, sample('instance-create-response.json'),
                            only_ours=['instance.access.allowed_cidrs'])
    created = ours['instance']
    assert (created['status'], created['operating_status']) == ('BUILD', '')
    assert created['access'] == request['instance']['access']
    assert created['datastore']['version_number'] == '8.0.36'

    # The cast carries the id and the secrets; the rest is in the rows.
    [cast] = taskmanager.wait_for('create_instance')
    assert set(cast) == {'instance_id', 'users', 'root_password', 'work'}
    assert cast['instance_id'] == created['id']
    assert [(u['_name'], u['_password']) for u in cast['users']] == [
        ('demouser', 'demopassword')]
    work = cast['work']
    assert (work.flow, work.owner) == ('create', None)
    assert [d['_name'] for d in work.args['databases']] == ['sampledb',
                                                            'nextround']
    assert work.args['has_secrets'] is True
    assert 'demopassword' not in json.dumps(work.args)
    with db_api.reader(trove_context.get_admin_context()) as session:
        row = session.get(db_models.Instance, created['id'])
    assert (row.volume_size, row.flavor_id) == (2, '1')
    listed = ok(api.get(BASE + '/instances'))['instances']
    assert [(i['id'], i['status']) for i in listed] == [(created['id'],
                                                         'BUILD')]


@pytest.mark.parametrize('change, words', [
    ({'nics': [{'net-id': 'a5330d7d-0e8c-48b4-9f6c-0f2c4ab1b854'}]},
     'no networks'),
    ({'availability_zone': 'elsewhere'}, 'Availability zone elsewhere'),
    ({'locality': 'anti-affinity'}, 'Locality anti-affinity'),
    ({'volume': {'size': 1, 'type': 'gold'}}, 'Volume type gold'),
])
def test_what_the_provider_cannot_do_is_refused(taskmanager, api, change,
                                                words):
    body = {'instance': dict({'name': 'x', 'flavorRef': '1',
                              'volume': {'size': 1},
                              'datastore': {'type': 'mysql'}}, **change)}
    name, message = fault(api.request('POST', BASE + '/instances', body), 400)
    assert (name, words in message) == ('badRequest', True), message
    assert ok(api.get(BASE + '/instances'))['instances'] == []
    assert taskmanager.of('create_instance') == []


def test_what_the_provider_can_do_is_kept(taskmanager, api):
    body = {'instance': {'name': 'x', 'flavorRef': '1',
                         'volume': {'size': 1, 'type': 'local'},
                         'availability_zone': 'nova', 'locality': 'affinity',
                         'region_name': CONF.service_credentials.region_name,
                         'datastore': {'type': 'mysql'}}}
    created = ok(api.request('POST', BASE + '/instances', body))['instance']
    # Shown in the detail view, as upstream's InstanceDetailView does.
    assert created['locality'] == 'affinity'
    assert created['region'] == CONF.service_credentials.region_name
    with db_api.reader(trove_context.get_admin_context()) as session:
        row = session.get(db_models.Instance, created['id'])
    assert (row.availability_zone, row.volume_type, row.locality) == (
        'nova', 'local', 'affinity')


# Paging ----------------------------------------------------------------------

@pytest.fixture
def five(api, ids):
    """Five instances a minute apart; ids newest first, the list order."""
    start = db_models.utcnow() - datetime.timedelta(hours=1)
    added = [add_instance(ids, name='db%d' % i,
                          created=start + datetime.timedelta(minutes=i))
             for i in range(5)]
    return added[::-1]


def walk(api, collection, limit):
    """The pages of ``collection``, following each ``next`` link."""
    pages = []
    path = '%s%s?limit=%d' % (BASE, collection, limit)
    while path:
        body = ok(api.get(path))
        page = [instance['id'] for instance in body['instances']]
        pages.append(page)
        path = None
        if 'links' in body:
            [link] = body['links']
            assert link['rel'] == 'next'
            href = urllib.parse.urlsplit(link['href'])
            query = dict(urllib.parse.parse_qsl(href.query))
            # The marker is the last instance shown; other params stay.
            assert query['marker'] == page[-1]
            assert query['limit'] == str(limit)
            path = href.path + '?' + href.query
    return pages


@pytest.mark.parametrize('collection', ['/instances', '/instances/detail'])
def test_pages_walk_every_instance_once_newest_first(api, five, collection):
    pages = walk(api, collection, limit=2)
    assert pages == [five[0:2], five[2:4], five[4:]]


def test_a_limit_that_fits_everything_has_no_next_link(api, five):
    # Exactly ``limit`` instances: the extra row fetched is not there.
    body = ok(api.get(BASE + '/instances?limit=5'))
    assert [i['id'] for i in body['instances']] == five
    assert 'links' not in body


def test_limit_is_capped_at_the_page_size(api, five):
    CONF.set_override('instances_page_size', 3)
    try:
        for query in ('', '?limit=10'):
            body = ok(api.get(BASE + '/instances' + query))
            assert [i['id'] for i in body['instances']] == five[:3]
            assert body['links'][0]['rel'] == 'next'
    finally:
        CONF.clear_override('instances_page_size')


@pytest.mark.parametrize('limit', ['0', '-1', 'ten'])
def test_invalid_limit_is_400(api, five, limit):
    name, message = fault(api.get(BASE + '/instances?limit=' + limit), 400)
    assert name == 'badRequest'
    assert 'limit' in message


def test_clustered_instances_are_listed_only_on_request(api, ids, five):
    clustered = add_instance(ids, cluster_id=add_cluster(ids))

    def listed(path):
        return {i['id'] for i in ok(api.get(BASE + path))['instances']}

    for collection in ('/instances', '/instances/detail'):
        assert listed(collection) == set(five)
        assert listed(collection + '?include_clustered=false') == set(five)
        assert listed(collection + '?include_clustered=true') == (
            set(five) | {clustered})


# Projects --------------------------------------------------------------------

def test_another_projects_instances_are_not_listed(api, ids, five):
    theirs = add_instance(ids, project=OTHER_PROJECT)
    for collection in ('/instances', '/instances/detail'):
        mine = ok(api.get(BASE + collection))['instances']
        assert [i['id'] for i in mine] == five
        other = ok(api.get('/v1.0/%s%s' % (OTHER_PROJECT, collection)))
        assert [i['id'] for i in other['instances']] == [theirs]
    # Nor shown by id: for the caller it does not exist.
    name, _message = fault(api.get(BASE + '/instances/' + theirs), 404)
    assert name == 'itemNotFound'


# What the detail list adds ----------------------------------------------------

def test_detail_list_shows_fault_and_configuration_as_the_show(
        taskmanager, api, ids):
    """The list reads its rows its own way (one Core SELECT); an errored
    instance with a configuration group must look as its show does."""
    instance_id = add_instance(ids)
    plain_id = add_instance(ids)
    with db_api.writer(trove_context.get_admin_context()) as session:
        group = db_models.Configuration(
            name='tuned', tenant_id=PROJECT,
            datastore_version_id=ids['mysql-version'],
            created=db_models.utcnow(), updated=db_models.utcnow())
        session.add(group)
        session.flush()
        group_id = group.id
        row = session.get(db_models.Instance, instance_id)
        row.configuration_id = group_id
        row.server_status = states.ServerStatus.ERROR
    faults.save_fault(trove_context.get_admin_context(), instance_id,
                      'The engine did not start: out of memory.',
                      'traceback...')

    listed = {i['id']: i for i in ok(api.get(BASE + '/instances/detail'))[
        'instances']}
    with fake_guest(instance_id):
        shown = ok(api.get(BASE + '/instances/' + instance_id))['instance']
    errored = listed[instance_id]
    assert errored['status'] == 'ERROR'
    assert errored['fault'] == shown['fault']
    assert errored['fault']['message'] == \
        'The engine did not start: out of memory.'
    assert 'details' not in errored['fault']      # administrators only
    assert errored['configuration']['id'] == group_id
    assert errored['configuration']['name'] == 'tuned'
    assert errored['configuration'] == shown['configuration']
    assert 'fault' not in listed[plain_id]
    assert 'configuration' not in listed[plain_id]
    # The summary list shows neither.
    summary = ok(api.get(BASE + '/instances'))['instances']
    assert not any('fault' in i or 'configuration' in i for i in summary)
    # Administrators see the details in the list too.
    admin_listed = {i['id']: i for i in ok(api.admin(
        'GET', BASE + '/instances/detail'))['instances']}
    assert admin_listed[instance_id]['fault']['details'] == 'traceback...'
