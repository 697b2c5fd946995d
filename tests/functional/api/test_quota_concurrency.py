"""Quota usage stays true under concurrent creates and deletes.

Requests run in threads against the API in this process, on each control
database backend (SQLite, MariaDB, PostgreSQL): bursts of creates beyond
the quota, then deletes (each instance deleted twice at once) mixed with
new creates. Afterwards ``quota_usages`` must match the instances that
really hold quota, nothing may stay reserved, and the limit must hold.
"""

import concurrent.futures
import contextlib
import uuid

import pytest

from tests.functional.api import app as api_app
from tests.functional.api import seed
from trove.common import context as trove_context
from trove.common import rpc
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models

pytestmark = pytest.mark.functional

PROJECT = 'burst-project'
BASE = '/v1.0/' + PROJECT
QUOTAS = '/v1.0/admin-project/mgmt/quotas/' + PROJECT
LIMIT = 5
THREADS = 8


@contextlib.contextmanager
def _transport(url):
    rpc.get_transport()   # registers transport_url
    rpc.cleanup()
    CONF.set_override('transport_url', url)
    CONF.set_override('taskmanager_queue',
                      'taskmanager-burst-' + uuid.uuid4().hex[:8])
    try:
        yield
    finally:
        rpc.cleanup()
        CONF.clear_override('transport_url')
        CONF.clear_override('taskmanager_queue')


@pytest.fixture
def burst_api(control_db_url, tmp_path, rabbit_transport_url):
    api_app.migrate(control_db_url)
    seed.seed_database(control_db_url)
    with _transport(rabbit_transport_url):
        with api_app.in_process_api(control_db_url, tmp_path) as api:
            yield api


def _in_parallel(calls):
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=120) for future in futures]


def _create_call(api, flavor, size):
    def call():
        return api.request('POST', BASE + '/instances', {'instance': {
            'name': 'burst', 'flavorRef': flavor['id'],
            'volume': {'size': size}, 'datastore': {'type': 'mariadb'}}})
    return call


def _delete_call(api, instance_id):
    def call():
        return api.request('DELETE', '%s/instances/%s' % (BASE, instance_id))
    return call


def _settle(api, instance_ids):
    """Let the instances take actions (a build that no taskmanager
    finishes stays BUILD, which cannot be deleted): the admin action."""
    for instance_id in instance_ids:
        response = api.admin('POST', '%s/instances/%s/action'
                             % (BASE, instance_id), {'reset_status': {}})
        assert response.status_int == 202, response.body


def _created_ids(responses):
    codes = sorted(r.status_int for r in responses)
    assert set(codes) <= {200, 413}, [r.body for r in responses]
    return [r.json['instance']['id'] for r in responses
            if r.status_int == 200]


def _ledger():
    """(usage rows, holders, reservations still Reserved) from the DB the
    in-process API is on."""
    with db_api.reader(trove_context.get_admin_context()) as session:
        usages = {row.resource: (row.in_use, row.reserved)
                  for row in session.query(db_models.QuotaUsage)
                  .filter_by(tenant_id=PROJECT)}
        # An instance holds quota from its create until its delete is
        # accepted (the DELETING task), not until its row goes.
        holders = session.query(db_models.Instance).filter(
            db_models.Instance.tenant_id == PROJECT,
            db_models.Instance.deleted.is_(False),
            db_models.Instance.task_id !=
            states.InstanceTasks.DELETING.code).all()
        holders = [(row.flavor_id, row.volume_size) for row in holders]
        pending = session.query(db_models.Reservation).filter_by(
            status='Reserved').count()
    return usages, holders, pending


def _assert_consistent(flavors):
    usages, holders, pending = _ledger()
    ram = {str(flavor['id']): flavor['ram'] for flavor in flavors}
    assert pending == 0
    assert usages['instances'] == (len(holders), 0)
    assert usages['ram'] == (sum(ram[str(f)] for f, _ in holders), 0)
    assert usages['volumes'] == (sum(size for _, size in holders), 0)
    assert len(holders) <= LIMIT
    return len(holders)


def test_burst_of_creates_and_deletes_keeps_usage_true(burst_api):
    api = burst_api
    assert api.admin('PUT', QUOTAS, {'quotas': {
        'instances': LIMIT, 'volumes': -1}}).status_int == 200
    flavors = api.get(BASE + '/flavors').json['flavors']
    small, medium = sorted(flavors, key=lambda f: f['ram'])[:2]

    # Twice the quota at once: exactly the quota gets through.
    first = _in_parallel([_create_call(api, (small, medium)[i % 2], 1 + i % 3)
                          for i in range(2 * LIMIT)])
    created = _created_ids(first)
    assert len(created) == LIMIT
    assert _assert_consistent(flavors) == LIMIT

    # Deletes (each instance twice at once) racing with new creates.
    _settle(api, created)
    kinds, calls = [], []
    for instance_id in created:
        kinds += ['delete', 'delete', 'create']
        calls += [_delete_call(api, instance_id)] * 2
        calls.append(_create_call(api, small, 2))
    responses = list(zip(kinds, _in_parallel(calls), strict=True))
    deletes = [r for kind, r in responses if kind == 'delete']
    assert {r.status_int for r in deletes} == {202}, [
        r.body for r in deletes]
    recreated = _created_ids([r for kind, r in responses
                              if kind == 'create'])
    assert 1 <= len(recreated) <= LIMIT
    assert _assert_consistent(flavors) == len(recreated)

    # The quota freed by the deletes is usable up to the limit again.
    more = _created_ids(_in_parallel(
        [_create_call(api, medium, 1) for _ in range(LIMIT)]))
    assert len(recreated) + len(more) == LIMIT
    assert _assert_consistent(flavors) == LIMIT
    shown = {q['resource']: q for q in api.admin('GET', QUOTAS).json[
        'quotas']}
    assert (shown['instances']['in_use'],
            shown['instances']['reserved']) == (LIMIT, 0)
