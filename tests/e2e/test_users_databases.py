"""Databases, users and user access end to end, checked by real logins.

One ACTIVE instance per datastore (MariaDB, PostgreSQL) serves the
module; python-troveclient drives the API, and after every step a real
SQL login at the instance's address proves what the engine enforces.
"""

import os
import signal
import time

import pytest

from tests.e2e import sql_logins
from tests.e2e.sql_logins import status_of
from tests.e2e import system as e2e
from tests.helpers.processes import wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e

DATASTORES = ['mariadb', 'postgresql']


@pytest.fixture(scope='module', params=DATASTORES)
def db_instance(request, trove_system):
    yield from sql_logins.shared_instance(trove_system, request.param,
                                          'users')



def names(items):
    return [item.name for item in items]


def all_pages(list_call, instance_id, limit):
    """Every item of a paginated listing, page by page, and the pages."""
    pages = [list_call(instance_id, limit=limit)]
    while pages[-1].next:
        pages.append(list_call(instance_id, limit=limit,
                               marker=pages[-1].next))
    return [item for page in pages for item in page], pages


def test_databases_create_list_page_and_delete(db_instance):
    trove, iid = db_instance.client, db_instance.id
    charset = {'mariadb': ('utf8mb4', 'utf8mb4_bin'),
               'postgresql': ('UTF8', 'C')}[db_instance.datastore]
    trove.databases.create(iid, [
        {'name': 'shop'}, {'name': 'shop_2024'},
        {'name': 'books', 'character_set': charset[0],
         'collate': charset[1]}])
    listed = names(trove.databases.list(iid))
    assert {'books', 'shop', 'shop_2024'} <= set(listed)
    # The engine's own databases are never listed.
    assert not set(listed) & sql_logins.SYSTEM_DATABASES[
        db_instance.datastore]
    if db_instance.datastore == 'mariadb':
        assert 'os_admin' not in listed
        root = trove.root.create_instance_root(iid)[1]
        rows = sql_logins.query(
            'mariadb', db_instance.address, 'root', root,
            "SELECT default_character_set_name, default_collation_name "
            "FROM information_schema.schemata WHERE schema_name = 'books'")
        trove.root.disable_instance_root(iid)
        assert rows == (('utf8mb4', 'utf8mb4_bin'),)

    everything, pages = all_pages(trove.databases.list, iid, 1)
    assert len(pages) == len(listed)
    assert names(everything) == sorted(listed)

    # Creating one that exists, a reserved one or a bad one is refused.
    assert status_of(trove.databases.create, iid, [{'name': 'shop'}]) == 400
    reserved = 'mysql' if db_instance.datastore == 'mariadb' else 'postgres'
    assert status_of(trove.databases.create, iid,
                     [{'name': reserved}]) == 400
    assert status_of(trove.databases.create, iid,
                     [{'name': 'x', 'character_set': 'no;such'}]) == 400
    assert status_of(trove.databases.create, iid,
                     [{'name': 'x', 'character_set': 'nosuchset'}]) == 400
    assert 'x' not in names(trove.databases.list(iid))

    trove.databases.delete(iid, 'shop_2024')
    assert 'shop_2024' not in names(trove.databases.list(iid))
    assert status_of(trove.databases.delete, iid, 'shop_2024') == 404
    assert status_of(trove.databases.delete, iid, reserved) == 400


def test_user_lifecycle_checked_by_logins(db_instance):
    trove, iid = db_instance.client, db_instance.id
    trove.databases.create(iid, [{'name': 'sales'}, {'name': 'hr'},
                                 {'name': 'ops'}])
    candidates = {'sales', 'hr', 'ops'}
    trove.users.create(iid, [{'name': 'carol', 'password': 'carol-pw-1',
                              'databases': [{'name': 'sales'}]}])
    # A created user logs in and reaches exactly the granted databases.
    assert db_instance.reachable('carol', 'carol-pw-1',
                                 candidates) == {'sales'}
    shown = trove.users.get(iid, 'carol')
    assert (shown.name, shown.host) == ('carol', '%')
    assert [d['name'] for d in shown.databases] == ['sales']
    assert 'carol' in names(trove.users.list(iid))

    # Granting more: reachable at once.
    trove.users.grant(iid, 'carol', ['hr', 'ops'])
    assert names(trove.users.list_access(iid, 'carol')) == [
        'hr', 'ops', 'sales']
    assert db_instance.reachable('carol', 'carol-pw-1',
                                 candidates) == candidates
    # Revoked access is denied.
    trove.users.revoke(iid, 'carol', 'hr')
    assert names(trove.users.list_access(iid, 'carol')) == ['ops', 'sales']
    assert db_instance.reachable('carol', 'carol-pw-1',
                                 candidates) == {'ops', 'sales'}
    assert status_of(trove.users.revoke, iid, 'carol', 'hr') == 404
    assert status_of(trove.users.grant, iid, 'carol', ['nosuchdb']) == 404

    # A changed password works and the old one fails.
    trove.users.change_passwords(iid, [{'name': 'carol',
                                        'password': 'carol-pw-2'}])
    assert db_instance.can_login('carol', 'carol-pw-2', 'sales')
    assert not db_instance.can_login('carol', 'carol-pw-1', 'sales')

    # A renamed user logs in under the new name only, with its access.
    trove.users.update_attributes(iid, 'carol', {'name': 'caroline'})
    assert db_instance.reachable('caroline', 'carol-pw-2',
                                 candidates) == {'ops', 'sales'}
    assert not db_instance.can_login('carol', 'carol-pw-2', 'sales')
    assert status_of(trove.users.get, iid, 'carol') == 404
    trove.users.update_attributes(iid, 'caroline',
                                  {'password': 'carol-pw-3'})
    assert db_instance.can_login('caroline', 'carol-pw-3', 'sales')
    assert not db_instance.can_login('caroline', 'carol-pw-2', 'sales')

    # Deleted: no login any more.
    trove.users.delete(iid, 'caroline')
    assert not db_instance.can_login('caroline', 'carol-pw-3', 'sales')
    assert status_of(trove.users.get, iid, 'caroline') == 404
    assert status_of(trove.users.delete, iid, 'caroline') == 404


def test_user_requests_that_are_refused(db_instance):
    trove, iid = db_instance.client, db_instance.id
    trove.users.create(iid, [{'name': 'dave', 'password': 'dave-pw-1'}])
    assert status_of(trove.users.create, iid,
                     [{'name': 'dave', 'password': 'other-pw-1'}]) == 400
    reserved = 'os_admin'
    assert status_of(trove.users.create, iid,
                     [{'name': reserved, 'password': 'x-pw-1'}]) == 400
    assert status_of(trove.users.get, iid, reserved) == 400
    assert status_of(trove.users.create, iid, [
        {'name': 'erin', 'password': 'erin-pw-1',
         'databases': [{'name': 'nosuchdb'}]}]) == 404
    assert status_of(trove.users.get, iid, 'erin') == 404
    assert status_of(trove.users.change_passwords, iid,
                     [{'name': 'nobody', 'password': 'x-pw-1'}]) == 404
    trove.users.create(iid, [{'name': 'frank', 'password': 'frank-pw-1'}])
    assert status_of(trove.users.update_attributes, iid, 'dave',
                     {'name': 'frank'}) == 400
    assert db_instance.can_login('dave', 'dave-pw-1')
    listed = names(trove.users.list(iid))
    assert {'dave', 'frank'} <= set(listed)
    assert not set(listed) & {'os_admin', 'root', 'postgres'}


def test_users_are_paged(db_instance):
    trove, iid = db_instance.client, db_instance.id
    trove.users.create(iid, [{'name': 'pager%d' % i, 'password': 'pw-%d-x' % i}
                             for i in range(3)])
    listed = trove.users.list(iid)
    everything, pages = all_pages(trove.users.list, iid, 2)
    assert len(pages) == (len(listed) + 1) // 2
    assert sorted(names(everything)) == sorted(names(listed))
    assert len(set(names(everything))) == len(everything)


def test_mysql_hosts(db_instance):
    if db_instance.datastore != 'mariadb':
        pytest.skip('hosts exist only in the MySQL family')
    trove, iid = db_instance.client, db_instance.id
    trove.users.create(iid, [{'name': 'gina', 'password': 'gina-pw-1',
                              'host': '10.9.%'}])
    shown = trove.users.get(iid, 'gina', hostname='10.9.%')
    assert shown.host == '10.9.%'
    assert status_of(trove.users.get, iid, 'gina') == 404
    # Our logins come from a 127.x address: this account does not match.
    assert not db_instance.can_login('gina', 'gina-pw-1')
    trove.users.update_attributes(iid, 'gina', {'host': '127.%'},
                                  hostname='10.9.%')
    assert db_instance.can_login('gina', 'gina-pw-1')
    assert trove.users.get(iid, 'gina', hostname='127.%').host == '127.%'
    assert status_of(trove.users.create, iid, [
        {'name': 'hal', 'password': 'hal-pw-1', 'host': 'evil.com'}]) == 400
    trove.users.delete(iid, 'gina', hostname='127.%')
    assert not db_instance.can_login('gina', 'gina-pw-1')


def test_database_show_is_not_implemented(db_instance):
    http = db_instance.client.client
    response, body = http.get('/instances/%s/databases/anything'
                              % db_instance.id, raise_exc=False)
    assert response.status_code == 501
    assert body['notImplemented']['code'] == 501


# Unavailable guests and engines ---------------------------------------------
def _pid(trove_system, instance_id, name):
    return daemon.read_pid(os.path.join(
        trove_system.instance_dir(instance_id), 'run', name))


def test_stopped_guest_times_out_and_stopped_engine_is_422(trove,
                                                          trove_system):
    created = trove.instances.create('unavailable', flavor_id='1',
                                     volume={'size': 1}, datastore='mariadb')
    guest_pid = None
    try:
        e2e.wait_for_instance(trove, created.id, system=trove_system)
        # A guest that does not answer: a clean 504 once the call timeout
        # (agent_call_low_timeout, 10 s here) passes, not a hang or a 500.
        guest_pid = _pid(trove_system, created.id, 'guest.pid')
        os.kill(guest_pid, signal.SIGSTOP)
        started = time.monotonic()
        assert status_of(trove.databases.list, created.id) == 504
        assert time.monotonic() - started < 30
        os.kill(guest_pid, signal.SIGCONT)
        guest_pid = None
        # Its heartbeats had stopped too: wait until they are back.
        wait_until(lambda: trove.instances.get(created.id)
                   .operating_status == 'HEALTHY', timeout=60,
                   message='the resumed guest never reported again')
        assert trove.databases.list(created.id) == []

        # An engine that is not running: 422 before anything is asked.
        os.kill(_pid(trove_system, created.id, 'mysqld.pid'),
                signal.SIGKILL)
        wait_until(lambda: trove.instances.get(created.id)
                   .operating_status != 'HEALTHY', timeout=60,
                   message='the dead engine was never reported')
        assert status_of(trove.users.list, created.id) == 422
        assert status_of(trove.databases.create, created.id,
                         [{'name': 'late'}]) == 422
    finally:
        if guest_pid:
            os.kill(guest_pid, signal.SIGCONT)
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)
