"""The module API in process: encrypted storage, visibility and the
admin-only options, applied-module bookkeeping. Applying on a real guest
is in tests/e2e/test_modules.py."""

import base64

import pytest

from tests.functional.api.test_instances import add_instance
from tests.functional.responses import fault, ok
from trove.common import context as trove_context
from trove.db import api as db_api
from trove.db import models as db_models
from trove.module import instance_modules
from trove.module import models as module_models

pytestmark = pytest.mark.functional

BASE = '/v1.0/instance-project'
OTHER = '/v1.0/other-project'


def _create(api, base=BASE, admin=False, **values):
    body = {'module': dict({'name': 'm', 'module_type': 'ping',
                            'contents': base64.b64encode(b'secret text')
                            .decode()}, **values)}
    if admin:
        return api.request('POST', base + '/modules', body,
                           headers={'X-Roles': 'admin'})
    return api.request('POST', base + '/modules', body)


def test_create_show_list_and_encrypted_storage(api):
    created = ok(_create(api, datastore={'type': 'mysql'}))['module']
    assert (created['type'], created['datastore'], created['tenant'],
            created['is_admin'], created['apply_order']) == (
        'ping', 'mysql', 'instance-project', False, 5)
    with db_api.reader(trove_context.get_admin_context()) as session:
        row = session.get(db_models.Module, created['id'])
    assert 'secret' not in row.contents
    assert module_models.decrypted(row) == base64.b64encode(
        b'secret text').decode()
    shown = ok(api.get(BASE + '/modules/' + created['id']))['module']
    assert shown['instance_count'] == 0
    assert [m['id'] for m in ok(api.get(BASE + '/modules'))['modules']] \
        == [created['id']]
    # Another project does not see it.
    assert ok(api.get(OTHER + '/modules'))['modules'] == []
    fault(api.get(OTHER + '/modules/' + created['id']), 404)
    # Same name and type again: 400.
    name, _ = fault(_create(api, datastore={'type': 'mysql'}), 400)
    assert name == 'badRequest'
    fault(_create(api, name='x', module_type='nosuch'), 404)


@pytest.mark.parametrize('option', ['auto_apply', 'all_tenants',
                                    'priority_apply', 'full_access'])
def test_admin_options_are_refused_to_users(api, option):
    name, message = fault(_create(api, **{option: 1}), 403)
    assert option in message
    created = ok(_create(api, admin=True, **{option: 1}))['module']
    assert created['is_admin'] is True


def test_all_tenant_modules_are_seen_but_not_changed_by_users(api):
    shared = ok(_create(api, admin=True, all_tenants=1,
                        name='shared'))['module']
    assert shared['tenant'] == 'All'
    assert [m['name'] for m in ok(api.get(OTHER + '/modules'))['modules']] \
        == ['shared']
    fault(api.request('PUT', OTHER + '/modules/' + shared['id'],
                      {'module': {'name': 'mine'}}), 403)
    fault(api.request('DELETE', OTHER + '/modules/' + shared['id']), 403)


def test_applied_modules_cannot_be_deleted(api, ids):
    created = ok(_create(api))['module']
    instance_id = add_instance(ids)
    module = module_models.get(trove_context.get_admin_context(),
                               created['id'])
    instance_modules.record(trove_context.get_admin_context(), instance_id,
                            [module])
    listed = ok(api.get(BASE + '/modules/%s/instances'
                        % created['id']))['instances']
    assert [i['id'] for i in listed] == [instance_id]
    counted = ok(api.get(BASE + '/modules/%s/instances?count_only=true'
                         % created['id']))['instances']
    assert counted[0]['instance_count'] == 1 and counted[0]['current']
    name, _ = fault(api.request('DELETE', BASE + '/modules/'
                                + created['id']), 403)
    instance_modules.forget(trove_context.get_admin_context(), instance_id,
                            created['id'])
    ok(api.request('DELETE', BASE + '/modules/' + created['id']))
    fault(api.get(BASE + '/modules/' + created['id']), 404)
