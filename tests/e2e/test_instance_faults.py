"""Instances whose parts fail: the status tells the truth, with a reason."""

import json
import os
import signal
import time

import pytest

from tests.e2e import system as e2e
from tests.helpers.processes import wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e


def _create_mariadb(trove, name):
    return trove.instances.create(name, flavor_id='1', volume={'size': 1},
                                  datastore='mariadb')


def _guest_pid(trove_system, instance_id):
    return daemon.read_pid(os.path.join(
        trove_system.instance_dir(instance_id), 'run', 'guest.pid'))


def test_killed_guest_agent_turns_operating_status_error_and_back(
        trove, trove_system):
    created = _create_mariadb(trove, 'killed-guest')
    try:
        e2e.wait_for_instance(trove, created.id, system=trove_system)
        guest_pid = _guest_pid(trove_system, created.id)
        os.kill(guest_pid, signal.SIGKILL)
        wait_until(lambda: trove.instances.get(created.id)
                   .operating_status == 'ERROR',
                   timeout=trove_system.heartbeat_expiry * 4,
                   message='operating_status did not become ERROR')

        # Starting the guest agent again (as the local provider starts its
        # servers) brings the heartbeats and HEALTHY back.
        _restart_guest(trove_system, created.id)
        wait_until(lambda: trove.instances.get(created.id)
                   .operating_status == 'HEALTHY',
                   timeout=60, message='operating_status did not recover')
    finally:
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)


def _restart_guest(trove_system, instance_id):
    """Start the guest agent again exactly as the local provider does."""
    trove_system.start_server(instance_id)


def test_engine_that_cannot_start_puts_instance_in_error_with_reason(
        trove, trove_system):
    # A flavor far larger than this machine: the rendered config asks the
    # engine for more memory than exists and it refuses to start. The
    # user must be told why, not left in BUILD.
    flavor_id = trove_system.create_flavor('huge', ram_mb=2000000000)
    created = trove.instances.create('too-big', flavor_id=flavor_id,
                                     volume={'size': 1},
                                     datastore='mariadb')
    try:
        failed = e2e.wait_for_instance(trove, created.id,
                                       statuses=('ERROR',), timeout=180,
                                       system=trove_system)
        message = failed.fault['message']
        assert 'InnoDB' in message or 'memory' in message.lower() or \
            'buffer' in message.lower(), message
    finally:
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)


def guest_info(trove_system, instance_id):
    """The instance's guest_info.conf [DEFAULT] values (guest_id, its
    message key...)."""
    import configparser
    parser = configparser.RawConfigParser()
    parser.read(os.path.join(trove_system.instance_dir(instance_id), 'etc',
                             'guest_info.conf'))
    return parser.defaults()


@pytest.fixture
def conductor_client(trove_system):
    """A factory of the conductor's RPC client on the system's transport,
    as the agent of an instance makes it: sealing with the instance's
    key from its guest_info.conf (the conductor drops anything else)."""
    from trove.common import context
    from trove.common import rpc
    from trove.conductor import api as conductor_api
    from trove.conf import CONF
    rpc.get_transport()     # registers the transport options
    rpc.cleanup()
    CONF.set_override('transport_url', trove_system.transport_url)

    def client_of(instance_id):
        info = guest_info(trove_system, instance_id)
        CONF.set_override('guest_id', instance_id)
        CONF.set_override('instance_rpc_encr_key',
                          info['instance_rpc_encr_key'])
        return conductor_api.API(context.get_admin_context())
    try:
        yield client_of
    finally:
        rpc.cleanup()
        for name in ('transport_url', 'guest_id', 'instance_rpc_encr_key'):
            CONF.clear_override(name)


def test_out_of_order_heartbeats_do_not_regress_status(trove, trove_system,
                                                       conductor_client):
    created = _create_mariadb(trove, 'ordering')
    guest_pid = None
    try:
        e2e.wait_for_instance(trove, created.id, system=trove_system)
        # The real agent is paused so that only the heartbeats sent here
        # reach the conductor: nothing else could repair a regression.
        guest_pid = _guest_pid(trove_system, created.id)
        os.kill(guest_pid, signal.SIGSTOP)

        def operating_status():
            # From the list: a show would call the paused agent for its
            # volume usage and wait out the call timeout, longer than the
            # heartbeat expiry that turns any silent instance to ERROR.
            [listed] = [i for i in trove.instances.list()
                        if i.id == created.id]
            return listed.operating_status

        conductor = conductor_client(created.id)
        sent = time.time()
        conductor.heartbeat(created.id, {'service_status': 'shutdown'},
                                   sent=sent)
        wait_until(lambda: operating_status() == 'SHUTDOWN', timeout=5,
                   message='the newest heartbeat was not recorded')
        # A "healthy" sent before it arrives late: dropped, the status
        # stays as the newer message left it. (Asserting that something
        # does not happen needs a bounded wait: the conductor writes
        # heartbeats within a fraction of a second, and the heartbeat
        # expiry is still seconds away.)
        conductor.heartbeat(created.id, {'service_status': 'healthy'},
                                   sent=sent - 10)
        time.sleep(2)
        assert operating_status() == 'SHUTDOWN'

        # The agent's own (newer) heartbeats bring HEALTHY back.
        os.kill(guest_pid, signal.SIGCONT)
        guest_pid = None
        wait_until(lambda: operating_status() == 'HEALTHY', timeout=30,
                   message='the agent\'s heartbeats were not recorded')
    finally:
        if guest_pid is not None:
            os.kill(guest_pid, signal.SIGCONT)
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)


def test_bad_requests_are_refused_cleanly(trove_system, project_id):
    import urllib.error
    import urllib.request
    endpoint = trove_system.endpoint(project_id)

    def post(body):
        request = urllib.request.Request(
            endpoint + '/instances', data=body, method='POST',
            headers={'Content-Type': 'application/json'})
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())
        raise AssertionError('request was accepted')

    code, body = post(b'{"instance": ')
    assert code == 400 and 'badRequest' in body
    code, body = post(json.dumps({'instance': {
        'name': 'x', 'flavorRef': 'no-such-flavor', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'}}}).encode())
    assert code == 404 and 'itemNotFound' in body
    code, body = post(json.dumps({'instance': {
        'name': 'x', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'nosuchdb'}}}).encode())
    assert code == 404
    code, body = post(json.dumps({'instance': {
        'name': 'x', 'flavorRef': '1', 'volume': {'size': 500},
        'datastore': {'type': 'mariadb'}}}).encode())
    assert code == 413 and 'overLimit' in body
