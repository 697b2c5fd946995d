"""Quotas end to end, with python-troveclient against trove-local.

A project allowed one instance gets its first (a real MariaDB), is refused
the second with 413 naming ``instances``, and may create again once the
first is deleted. The management quota calls go through the client's
``quota`` manager (``GET/PUT /mgmt/quotas/{project}``).
"""

import pytest
from troveclient import exceptions

from tests.e2e import system as e2e

pytestmark = pytest.mark.e2e


def _usage(client, project_id):
    return {quota.resource: quota for quota in client.quota.show(project_id)}


def _create(trove, name):
    return trove.instances.create(name, flavor_id='1', volume={'size': 1},
                                  datastore='mariadb')


def test_quota_refuses_the_extra_instance_and_delete_frees_it(
        trove, trove_system, project_id):
    admin = trove_system.admin_client(project_id)
    assert admin.quota.update(project_id, {'instances': 1, 'volumes': 5}) \
        == {'instances': 1, 'volumes': 5}
    absolute = trove.limits.list()[0]
    assert (absolute.max_instances, absolute.max_volumes) == (1, 5)

    first = _create(trove, 'quota-first')
    with pytest.raises(exceptions.ClientException) as refused:
        _create(trove, 'quota-second')
    assert refused.value.http_status == 413
    assert "['instances']" in str(refused.value)
    assert [i.id for i in trove.instances.list()] == [first.id]
    usage = _usage(admin, project_id)
    assert (usage['instances'].in_use, usage['instances'].reserved,
            usage['instances'].limit) == (1, 0, 1)
    assert usage['volumes'].in_use == 1

    e2e.wait_for_instance(trove, first.id, system=trove_system)
    trove.instances.delete(first.id)
    # The quota is released when the delete is accepted.
    usage = _usage(admin, project_id)
    assert (usage['instances'].in_use, usage['instances'].reserved) == (0, 0)
    e2e.wait_for_deleted(trove, first.id)

    second = _create(trove, 'quota-second')
    try:
        assert _usage(admin, project_id)['instances'].in_use == 1
    finally:
        e2e.wait_for_instance(trove, second.id, system=trove_system)
        trove.instances.delete(second.id)
        e2e.wait_for_deleted(trove, second.id)
    usage = _usage(admin, project_id)
    assert (usage['instances'].in_use, usage['volumes'].in_use) == (0, 0)


def test_member_cannot_raise_its_own_quota(trove, project_id):
    with pytest.raises(exceptions.ClientException) as refused:
        trove.quota.update(project_id, {'instances': 1000})
    assert refused.value.http_status == 403
    # Reading its own quota is allowed.
    assert {q.resource for q in trove.quota.show(project_id)} == {
        'instances', 'backups', 'volumes', 'ram'}
