"""The management instance API in process: admin only, every project's
instances (deleted ones on request), upstream's sample keys, and the
actions recorded as work for the taskmanager. The real effect of each
action on an engine is in tests/e2e/test_mgmt_instances.py."""

import pytest

from tests.functional.api import shapes
from tests.functional.api.test_instances import (add_instance, sample,  # noqa
                                                 taskmanager)
from tests.functional.responses import fault, ok
from trove.common import context as trove_context
from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import work_claims as claims

pytestmark = pytest.mark.functional

BASE = '/v1.0/admin-project/mgmt/instances'
IMAGE = '42706631-3b76-4d1c-95c9-6a85e72eebda'


def _row(instance_id):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.get(db_models.Instance, instance_id)


def _soft_delete(instance_id):
    with db_api.writer(trove_context.get_admin_context()) as session:
        row = session.get(db_models.Instance, instance_id)
        row.deleted, row.deleted_at = True, db_models.utcnow()


def _admin(api, method, path, body=None):
    return api.request(method, path, body=body, headers={
        'X-Roles': 'admin', 'X-Project-Id': 'admin-project'})


@pytest.mark.parametrize('method,path', [
    ('GET', BASE), ('GET', BASE + '/i1'), ('POST', BASE + '/i1/action'),
    ('GET', BASE + '/i1/diagnostics'), ('GET', BASE + '/i1/hwinfo'),
    ('GET', BASE + '/i1/rpc_ping')])
def test_members_are_forbidden(api, method, path):
    body = {'reboot': {}} if method == 'POST' else None
    name, message = fault(api.request(method, path, body=body,
                                      headers={'X-Project-Id':
                                               'admin-project'}), 403)
    assert (name, message) == ('forbidden',
                               'User does not have admin privileges.')


def test_list_shows_every_project_and_deleted_on_request(
        api, ids, sample):  # noqa: F811
    live = add_instance(ids, project='p-a')
    other = add_instance(ids, project='p-b')
    gone = add_instance(ids, project='p-a')
    _soft_delete(gone)

    def listed(query=''):
        return {i['id']: i for i in ok(_admin(api, 'GET', BASE + query))[
            'instances']}

    assert set(listed()) == {live, other, gone}
    assert set(listed('?deleted=false')) == {live, other}
    assert set(listed('?deleted=true')) == {gone}
    assert set(listed('?project_id=p-a')) == {live, gone}
    shown = listed()[live]
    assert (shown['tenant_id'], shown['deleted'], shown['deleted_at'],
            shown['service_status'], shown['task_description']) == (
        'p-a', False, None, 'HEALTHY', 'No tasks for the instance.')
    assert listed()[gone]['deleted'] is True
    # The local provider has no server "srv" of the seeded rows.
    assert shown['server'] is None
    shapes.assert_same_keys(
        {'instances': [shown]}, sample('instance-mgmt-list-response.json'),
        only_ours=['instances[].access', 'instances[].access.is_public',
                   'instances[].flavor.links',
                   'instances[].flavor.links[].href',
                   'instances[].flavor.links[].rel',
                   'instances[].datastore.version_number'],
        only_sample=['instances[].server.host', 'instances[].server.id',
                     'instances[].server.name', 'instances[].server.status',
                     'instances[].server.tenant_id'])


def test_show_has_guest_status_root_and_volume(api, ids):
    instance_id = add_instance(ids, project='p-a')
    shown = ok(_admin(api, 'GET', BASE + '/' + instance_id))['instance']
    assert shown['guest_status'] == {'state_description': 'healthy'}
    assert (shown['root_enabled'], shown['root_enabled_by']) == (None, None)
    assert shown['volume']['size'] == 1
    name, _ = fault(_admin(api, 'GET', BASE + '/nosuch'), 404)
    assert name == 'itemNotFound'


@pytest.mark.parametrize('body, words', [
    ({'explode': {}}, 'exactly one of'),
    ({'reboot': {}, 'stop': {}}, 'exactly one of'),
    ({'rebuild': {}}, "'image_id' is a required property"),
    ({'rebuild': {'image_id': 'img-1234'}}, 'rebuild.image_id'),
])
def test_bad_action_bodies_are_400(api, ids, body, words):
    instance_id = add_instance(ids, project='p-a')
    name, message = fault(_admin(api, 'POST', BASE + '/%s/action'
                                 % instance_id, body), 400)
    assert name == 'badRequest'
    assert words in message


def test_reboot_and_rebuild_are_recorded_and_cast(taskmanager, api,  # noqa
                                                  ids):
    instance_id = add_instance(ids, project='p-a')
    ok(_admin(api, 'POST', BASE + '/%s/action' % instance_id,
              {'reboot': {}}), 202)
    assert taskmanager.wait_for('reboot')[0]['instance_id'] == instance_id
    assert _row(instance_id).task_id == states.InstanceTasks.REBOOTING.code
    # Busy: a second action waits (422).
    name, _ = fault(_admin(api, 'POST', BASE + '/%s/action' % instance_id,
                           {'rebuild': {'image_id': IMAGE}}), 422)
    # reset-task-status clears the task and the work.
    ok(_admin(api, 'POST', BASE + '/%s/action' % instance_id,
              {'reset-task-status': {}}), 202)
    assert _row(instance_id).task_id == states.InstanceTasks.NONE.code
    assert claims.current(trove_context.get_admin_context(),
                          instance_id) is None

    ok(_admin(api, 'POST', BASE + '/%s/action' % instance_id,
              {'rebuild': {'image_id': IMAGE}}), 202)
    [cast] = taskmanager.wait_for('rebuild')
    assert cast['work'].args == {'image_id': IMAGE}
    assert _row(instance_id).task_id == states.InstanceTasks.BUILDING.code


def test_migrate_on_the_local_provider_is_refused(api, ids):
    instance_id = add_instance(ids, project='p-a')
    name, message = fault(_admin(api, 'POST', BASE + '/%s/action'
                                 % instance_id, {'migrate': {}}), 400)
    assert 'one host' in message
    assert _row(instance_id).task_id == states.InstanceTasks.NONE.code
