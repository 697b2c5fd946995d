"""Automatic failover settings through the API: the extension keys of the
instance update body (auto_failover, replication_mode), their 400 rules,
the detail view, and the only replica of a synchronous primary staying
put. The API runs in this process against the control DB."""

import pytest

from tests.functional.api.test_replication_api import (BASE, on, row,
                                                       taskmanager, update)
from tests.functional.responses import fault, ok
from trove.conf import CONF

pytestmark = pytest.mark.functional

__all__ = ['taskmanager']


def patch(api, instance_id, body, method='PATCH'):
    return api.request(method, BASE + '/instances/' + instance_id,
                       {'instance': body})


def shown(api, instance_id):
    return ok(api.get(BASE + '/instances/' + instance_id))['instance']


def test_settings_are_set_on_a_primary_and_shown(api, ids, taskmanager):
    primary = on(ids, 'mariadb')
    replica = on(ids, 'mariadb', source=primary)
    detail = shown(api, primary)
    # Defaults from [DEFAULT] until set.
    assert (detail['auto_failover'], detail['replication_mode'],
            detail['replication_epoch']) == (
        CONF.auto_failover, CONF.replication_mode, 0)
    assert shown(api, replica)['replication_epoch'] == 0
    assert 'auto_failover' not in shown(api, replica)

    ok(patch(api, primary, {'auto_failover': True}), 202)
    assert row(primary).auto_failover is True
    ok(patch(api, primary, {'replication_mode': 'sync',
                            'auto_failover': True}, method='PUT'), 202)
    # The guests switch in the taskmanager.
    taskmanager.wait_for('set_replication_mode')
    detail = shown(api, primary)
    assert (detail['auto_failover'], detail['replication_mode']) == (
        True, 'sync')
    ok(patch(api, primary, {'auto_failover': False,
                            'replication_mode': 'async'}), 202)
    assert (row(primary).auto_failover, row(primary).replication_mode) == (
        False, 'async')
    # A standalone instance shows the keys once they were set.
    lonely = on(ids, 'postgresql')
    assert 'auto_failover' not in shown(api, lonely)
    ok(patch(api, lonely, {'auto_failover': True}), 202)
    assert shown(api, lonely)['auto_failover'] is True


def test_refusals(api, ids):
    primary = on(ids, 'mariadb')
    replica = on(ids, 'mariadb', source=primary)
    lonely = on(ids, 'postgresql')
    mysql = on(ids, 'mysql')
    for body in ({'auto_failover': 'yes'}, {'replication_mode': 'quorum'},
                 {'auto_failover': None}):
        assert fault(patch(api, primary, body), 400)
    _name, message = fault(patch(api, replica, {'auto_failover': True}),
                           400)
    assert 'is a replica' in message and primary in message
    _name, message = fault(patch(api, lonely, {'replication_mode': 'sync'}),
                           400)
    assert 'has no replica' in message
    _name, message = fault(patch(api, mysql, {'auto_failover': True}), 400)
    assert 'not supported' in message
    _name, message = fault(patch(api, primary, {'auto_failover': True,
                                                'name': 'renamed'}), 400)
    assert 'together with name' in message
    assert row(primary).auto_failover is None
    assert row(primary).name != 'renamed'


def test_the_only_replica_of_a_sync_primary_stays(api, ids, taskmanager):
    primary = on(ids, 'postgresql')
    replica = on(ids, 'postgresql', source=primary)
    ok(patch(api, primary, {'replication_mode': 'sync'}), 202)
    _name, message = fault(patch(api, replica, {'replica_of': None},
                                 method='PUT'), 400)
    assert 'only replica' in message and 'detached' in message
    _name, message = fault(api.request('DELETE', BASE + '/instances/'
                                       + replica), 400)
    assert 'deleted' in message
    assert row(replica).deleted is False
    # With a second replica either may go.
    second = on(ids, 'postgresql', source=primary)
    ok(patch(api, second, {'replica_of': None}, method='PUT'), 202)
    taskmanager.wait_for('detach_replica')
    update(second, slave_of_id=None)
    ok(patch(api, primary, {'replication_mode': 'async'}), 202)
    ok(patch(api, replica, {'replica_of': None}, method='PUT'), 202)
