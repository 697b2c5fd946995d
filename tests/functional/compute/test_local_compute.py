"""What is particular to the local provider's servers: guest files, one
loopback address each, processes and their failures. What every provider
promises is in tests/contract."""

import configparser
import ipaddress
import json
import os
import signal
import socket

import pytest

from tests.functional.compute.conftest import fake_guest_command
from tests.helpers.processes import wait_until
from trove.common import daemon, exception, states
from trove.compute import base
from trove.compute.local import compute
from trove.conf import CONF

FLAVOR = {'id': '7', 'name': 'small', 'ram': 512, 'vcpus': 1, 'disk': 1,
          'ephemeral': 0}
GUEST_INFO = ('[DEFAULT]\nguest_id = {id}\ndatastore_manager = mariadb\n'
              'datastore_version = 10.11.19\ntenant_id = demo\n')
GUEST_CONFIG = '[DEFAULT]\ncontrol_exchange = trove\n'


def create(driver, instance_id, **overrides):
    files = base.GuestFiles(guest_info=GUEST_INFO.format(id=instance_id),
                            guest_config=GUEST_CONFIG,
                            extra=overrides.pop('extra', {}))
    return driver.create_server(None, base.ServerSpec(
        instance_id=instance_id, name='db-' + instance_id, flavor=FLAVOR,
        datastore_manager='mariadb', guest_files=files, **overrides))


def status_of(driver, server_id):
    return driver.get_server(None, server_id).status


def wait_status(driver, server_id, status, timeout=20):
    wait_until(lambda: status_of(driver, server_id) == status,
               timeout=timeout, interval=0.1,
               message='server %s never became %s (last %s)'
                       % (server_id, status, status_of(driver, server_id)))


def server_pid(instances_dir, server_id, name):
    return daemon.read_pid(os.path.join(instances_dir, server_id, 'run',
                                        name + '.pid'))


def test_a_server_survives_a_new_driver(driver, local_provider):
    server = create(driver, 'inst-a')
    address = server.addresses[0]['address']
    assert server.addresses == [{'address': address, 'type': 'private'}]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(
        CONF.local.address_pool)
    wait_status(driver, server.id, states.ServerStatus.ACTIVE)

    # A restarted taskmanager: a new driver finds the same server.
    again = compute.LocalComputeDriver().get_server(None, server.id)
    assert again.status == states.ServerStatus.ACTIVE
    assert again.addresses[0]['address'] == address
    assert again.instance_id == 'inst-a'

    with open(os.path.join(local_provider, server.id,
                           'server.json')) as record:
        record = json.load(record)
    assert record['address'] == address
    assert record['flavor'] == FLAVOR
    assert record['metadata'] == {base.METADATA_INSTANCE_ID: 'inst-a'}
    assert record['availability_zone'] == CONF.local.availability_zone
    assert record['status_intent'] == 'active'


def test_injected_files_form_one_guest_config(driver, local_provider):
    server = create(driver, 'inst-b',
                    extra={'cloudinit.sh': 'echo hello\n'})
    server_dir = os.path.join(local_provider, server.id)
    info = configparser.RawConfigParser()
    info.read(os.path.join(server_dir, 'etc', 'guest_info.conf'))
    defaults = info.defaults()
    assert defaults['guest_id'] == 'inst-b'
    assert defaults['datastore_version'] == '10.11.19'
    assert defaults['guest_state_dir'] == os.path.join(server_dir, 'run')
    assert defaults['engine_bind_host'] == server.addresses[0]['address']
    assert defaults['volume_driver'] == 'directory'
    assert defaults['log_dir'] == os.path.join(server_dir, 'logs')
    assert defaults['log_file'] == 'guestagent.log'
    # Where the volume is comes with prepare, not with the server.
    assert not info.has_section('mariadb')
    with open(os.path.join(server_dir, 'etc',
                           'trove-guestagent.conf')) as conf:
        assert conf.read() == GUEST_CONFIG
    with open(os.path.join(server_dir, 'etc', 'cloudinit.sh')) as script:
        assert script.read() == 'echo hello\n'
    # Engines (other users) must be able to traverse the directories.
    for sub in ('', 'run', 'logs'):
        assert os.stat(os.path.join(server_dir, sub)).st_mode & 0o755 \
            == 0o755
    # The files may carry credentials: owner only.
    assert os.stat(os.path.join(server_dir, 'etc', 'guest_info.conf')
                   ).st_mode & 0o777 == 0o600


def test_addresses_are_unique_and_released_on_delete(driver):
    first = create(driver, 'inst-1')
    second = create(driver, 'inst-2')
    address = first.addresses[0]['address']
    assert address != second.addresses[0]['address']
    driver.delete_server(None, first.id)
    assert create(driver, 'inst-3').addresses[0]['address'] == address


def test_an_address_where_something_listens_is_skipped(driver):
    pool = ipaddress.ip_network(CONF.local.address_pool)
    first_host = str(next(pool.hosts()))
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((first_host, 3306))
        squatter.listen()
        server = create(driver, 'inst-busy')
    assert server.addresses[0]['address'] != first_host


def test_stop_and_start_replace_the_agent(driver, local_provider):
    server = create(driver, 'inst-s')
    wait_status(driver, server.id, states.ServerStatus.ACTIVE)
    agent = server_pid(local_provider, server.id, 'guest')
    driver.stop_server(None, server.id)
    assert status_of(driver, server.id) == states.ServerStatus.SHUTDOWN
    assert not daemon.pid_alive(agent)
    driver.start_server(None, server.id)
    wait_status(driver, server.id, states.ServerStatus.ACTIVE)
    assert server_pid(local_provider, server.id, 'guest') != agent


def test_reboot_restarts_the_agent_but_not_the_engine(driver,
                                                      local_provider):
    CONF.set_override('guest_agent_command',
                      fake_guest_command('--engine'), group='local')
    server = create(driver, 'inst-r')
    wait_status(driver, server.id, states.ServerStatus.ACTIVE)
    agent = server_pid(local_provider, server.id, 'guest')
    engine = server_pid(local_provider, server.id, 'engine')
    assert daemon.pid_alive(engine)
    driver.reboot_server(None, server.id)
    wait_status(driver, server.id, states.ServerStatus.ACTIVE)
    assert server_pid(local_provider, server.id, 'guest') != agent
    assert not daemon.pid_alive(agent)
    assert daemon.pid_alive(engine)


def test_an_agent_exiting_at_once_is_an_error_with_its_output(driver):
    CONF.set_override('guest_agent_command', fake_guest_command(
        '--mode', 'exit', '--message', 'cannot-open-volume-xyz'),
        group='local')
    server = create(driver, 'inst-e')
    wait_status(driver, server.id, states.ServerStatus.ERROR)
    assert 'cannot-open-volume-xyz' in driver.get_server(
        None, server.id).fault


def test_an_agent_that_never_serves_is_an_error_after_the_start_timeout(
        driver):
    CONF.set_override('guest_agent_command',
                      fake_guest_command('--mode', 'never-ready'),
                      group='local')
    CONF.set_override('guest_start_timeout', 1, group='local')
    server = create(driver, 'inst-n')
    wait_status(driver, server.id, states.ServerStatus.ERROR, timeout=10)
    assert 'did not start serving within 1 seconds' in driver.get_server(
        None, server.id).fault


def test_an_agent_dying_after_being_ready_is_shutdown(driver,
                                                      local_provider):
    server = create(driver, 'inst-k')
    wait_status(driver, server.id, states.ServerStatus.ACTIVE)
    agent = server_pid(local_provider, server.id, 'guest')
    os.kill(agent, signal.SIGTERM)      # a clean exit removes agent.ready
    wait_status(driver, server.id, states.ServerStatus.SHUTDOWN)


def test_delete_leaves_no_process_directory_or_address(driver,
                                                       local_provider):
    CONF.set_override('guest_agent_command',
                      fake_guest_command('--engine'), group='local')
    server = create(driver, 'inst-d')
    address = server.addresses[0]['address']
    wait_status(driver, server.id, states.ServerStatus.ACTIVE)
    agent = server_pid(local_provider, server.id, 'guest')
    engine = server_pid(local_provider, server.id, 'engine')
    assert daemon.pid_alive(agent) and daemon.pid_alive(engine)

    driver.delete_server(None, server.id)

    assert not daemon.pid_alive(agent)
    assert not daemon.pid_alive(engine)
    assert not os.path.exists(os.path.join(local_provider, server.id))
    assert create(driver, 'inst-d2').addresses[0]['address'] == address


def test_anti_affinity_is_refused_on_one_machine(driver):
    with pytest.raises(base.ProviderCannot) as error:
        driver.create_server_group(None, 'spread', 'anti-affinity')
    assert 'supports affinity' in str(error.value)


@pytest.mark.skipif(os.geteuid() != 0,
                    reason='engines only run as other users under root')
def test_an_untraversable_parent_is_refused_with_what_to_chmod(
        world_tmp_dir):
    private = world_tmp_dir / 'private'
    private.mkdir(mode=0o700)
    os.chmod(private, 0o700)
    CONF.set_override('instances_dir', str(private / 'instances'),
                      group='local')
    try:
        with pytest.raises(exception.ComputeError) as error:
            create(compute.LocalComputeDriver(), 'inst-p')
    finally:
        CONF.clear_override('instances_dir', group='local')
    assert 'chmod o+x %s' % private in str(error.value)
