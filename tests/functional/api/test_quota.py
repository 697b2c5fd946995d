"""Quotas through the API: the management quota API, /limits, and what
instance creation does with quota (413 when over, nothing kept when the
create fails).

The API runs in this process on a seeded SQLite control database; instance
creates cast to the taskmanager over a private RabbitMQ vhost (nothing
consumes it: these tests look at what the API records).
"""

import contextlib
import uuid

import pytest

from tests.functional.api import shapes
from trove.common import context as trove_context
from trove.common import rpc
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from tests.functional.responses import fault as _fault, ok as _ok

pytestmark = pytest.mark.functional

PROJECT = 'quota-project'
BASE = '/v1.0/' + PROJECT
ADMIN_BASE = '/v1.0/admin-project'


def _quotas_url(project=PROJECT, base=ADMIN_BASE):
    return '%s/mgmt/quotas/%s' % (base, project)


def _usage(api, project=PROJECT):
    shown = _ok(api.admin('GET', _quotas_url(project)))['quotas']
    return {entry['resource']: entry for entry in shown}


@pytest.fixture
def sample(api_samples_dir):
    return lambda name: shapes.load_sample(api_samples_dir, name)


# The management quota API -----------------------------------------------------

def test_show_has_the_keys_of_the_sample(api, sample):
    ours = _ok(api.admin('GET', _quotas_url()))
    shapes.assert_same_keys(ours, sample('quota-show-response.json'))
    assert [q['resource'] for q in ours['quotas']] == [
        'instances', 'backups', 'volumes', 'ram']


def test_show_gives_defaults_and_zero_usage(api):
    usage = _usage(api)
    assert usage['instances'] == {'resource': 'instances', 'in_use': 0,
                                  'reserved': 0,
                                  'limit': CONF.max_instances_per_tenant}
    assert usage['volumes']['limit'] == CONF.max_volumes_per_tenant
    assert usage['backups']['limit'] == CONF.max_backups_per_tenant
    assert usage['ram']['limit'] == CONF.max_ram_per_tenant


def test_update_with_the_sample_request(api, sample):
    request = sample('quota-update.json')
    ours = _ok(api.admin('PUT', _quotas_url(), request))
    assert ours == request
    usage = _usage(api)
    assert usage['instances']['limit'] == request['quotas']['instances']
    assert usage['backups']['limit'] == request['quotas']['backups']
    # Untouched resources keep their default.
    assert usage['volumes']['limit'] == CONF.max_volumes_per_tenant


def test_update_skips_nulls_and_accepts_unlimited(api):
    ours = _ok(api.admin('PUT', _quotas_url(),
                         {'quotas': {'volumes': -1, 'ram': None}}))
    assert ours == {'quotas': {'volumes': -1}}
    usage = _usage(api)
    assert usage['volumes']['limit'] == -1
    assert usage['ram']['limit'] == CONF.max_ram_per_tenant


def test_updates_are_per_project(api):
    _ok(api.admin('PUT', _quotas_url('other-project'),
                  {'quotas': {'instances': 1}}))
    assert _usage(api, 'other-project')['instances']['limit'] == 1
    assert _usage(api)['instances']['limit'] == CONF.max_instances_per_tenant


@pytest.mark.parametrize('quotas,code', [
    ({'instances': -2}, 400),
    ({'instances': 'ten'}, 400),
    ({'instances': 1.5}, 400),
    ({'cores': 4}, 404),
    ({'cores': None}, 404),
])
def test_bad_updates_are_refused_and_change_nothing(api, quotas, code):
    _fault(api.admin('PUT', _quotas_url(), {'quotas': quotas}), code)
    assert _usage(api)['instances']['limit'] == CONF.max_instances_per_tenant


def test_body_without_quotas_is_a_bad_request(api):
    _fault(api.admin('PUT', _quotas_url(), {'instances': 3}), 400)


def test_a_project_reads_its_own_quota_but_not_another(api):
    own = api.get(_quotas_url(base=BASE))
    assert _ok(own)['quotas'][0]['resource'] == 'instances'
    name, message = _fault(api.get(_quotas_url('someone-else', base=BASE)),
                           403)
    assert name == 'forbidden'
    assert 'administrator' in message


def test_only_an_admin_changes_quotas(api):
    name, _message = _fault(api.request(
        'PUT', _quotas_url(base=BASE), {'quotas': {'instances': 100}}), 403)
    assert name == 'forbidden'
    assert _usage(api)['instances']['limit'] == CONF.max_instances_per_tenant


def test_limits_show_the_projects_real_quota(api):
    _ok(api.admin('PUT', _quotas_url(),
                  {'quotas': {'instances': 3, 'volumes': 7, 'ram': 4096}}))
    limits = _ok(api.get(BASE + '/limits'))['limits']
    assert limits[0] == {'verb': 'ABSOLUTE', 'max_instances': 3,
                         'max_volumes': 7, 'max_ram': 4096,
                         'max_backups': CONF.max_backups_per_tenant}
    assert [entry['verb'] for entry in limits[1:]] == [
        'POST', 'PUT', 'DELETE', 'GET', 'POST']


# Instance creation and quota ------------------------------------------------

@pytest.fixture
def transport(rabbit_transport_url):
    """Casts go to a private vhost under a queue name nobody consumes."""
    with _with_transport(rabbit_transport_url):
        yield


@pytest.fixture
def refusing_transport(rabbit_transport_url):
    """A broker that refuses the connection (a vhost that does not
    exist): the taskmanager cannot be reached."""
    with _with_transport(_missing_vhost(rabbit_transport_url)):
        yield


def _missing_vhost(url):
    return url.rstrip('/').rsplit('/', 1)[0] + '/no-such-vhost-' + \
        uuid.uuid4().hex[:8]


@contextlib.contextmanager
def _with_transport(url):
    rpc.get_transport()   # registers transport_url
    rpc.cleanup()
    CONF.set_override('transport_url', url)
    CONF.set_override('taskmanager_queue',
                      'taskmanager-quota-' + uuid.uuid4().hex[:8])
    try:
        yield url
    finally:
        rpc.cleanup()
        CONF.clear_override('transport_url')
        CONF.clear_override('taskmanager_queue')


def _flavor(api):
    flavors = _ok(api.get(BASE + '/flavors'))['flavors']
    return min(flavors, key=lambda f: f['ram'])


def _create(api, flavor, name='db', base=BASE):
    return api.request('POST', base + '/instances', {'instance': {
        'name': name, 'flavorRef': flavor['id'], 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'}}})


# The in-process API keeps db_api on its database while a test runs.

def _reservations(status):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.query(db_models.Reservation).filter_by(
            status=status).count()


def _live_instances(project=PROJECT):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.query(db_models.Instance).filter_by(
            tenant_id=project, deleted=False).count()


def test_instance_over_quota_is_refused_with_413(api, transport):
    _ok(api.admin('PUT', _quotas_url(), {'quotas': {'instances': 2}}))
    flavor = _flavor(api)
    for index in range(2):
        _ok(_create(api, flavor, 'db%d' % index))

    name, message = _fault(_create(api, flavor, 'db-too-many'), 413)

    assert name == 'overLimit'
    assert message == "Quota exceeded for resources: ['instances']."
    usage = _usage(api)
    assert (usage['instances']['in_use'],
            usage['instances']['reserved']) == (2, 0)
    assert usage['ram']['in_use'] == 2 * flavor['ram']
    assert usage['volumes']['in_use'] == 2
    listed = _ok(api.get(BASE + '/instances'))['instances']
    assert sorted(i['name'] for i in listed) == ['db0', 'db1']


def test_ram_quota_names_ram(api, transport):
    flavor = _flavor(api)
    _ok(api.admin('PUT', _quotas_url(),
                  {'quotas': {'ram': flavor['ram'] - 1}}))
    name, message = _fault(_create(api, flavor), 413)
    assert message == "Quota exceeded for resources: ['ram']."
    assert _usage(api)['instances']['in_use'] == 0


def test_failed_create_frees_its_quota(api, refusing_transport):
    _ok(api.admin('PUT', _quotas_url(), {'quotas': {'instances': 1}}))
    flavor = _flavor(api)

    name, message = _fault(_create(api, flavor), 503)

    assert name == 'serviceUnavailable'
    assert 'taskmanager' in message
    usage = _usage(api)
    for resource in ('instances', 'ram', 'volumes'):
        assert (usage[resource]['in_use'],
                usage[resource]['reserved']) == (0, 0), resource
    assert _reservations('Reserved') == 0
    assert _reservations('Rolled Back') >= 1
    assert _live_instances() == 0


def test_quota_freed_by_a_failed_create_can_be_used(api, rabbit_transport_url):
    _ok(api.admin('PUT', _quotas_url(), {'quotas': {'instances': 1}}))
    flavor = _flavor(api)
    with _with_transport(_missing_vhost(rabbit_transport_url)):
        _fault(_create(api, flavor), 503)
    with _with_transport(rabbit_transport_url):
        created = _ok(_create(api, flavor))['instance']
    assert created['status'] == 'BUILD'
    assert _usage(api)['instances']['in_use'] == 1
