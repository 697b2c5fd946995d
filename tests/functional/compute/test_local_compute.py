"""The local compute driver with a fake guest agent process."""

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


def create(driver, instance_id):
    files = base.GuestFiles(guest_info=GUEST_INFO.format(id=instance_id),
                            guest_config=GUEST_CONFIG)
    return driver.create_server(None, instance_id, 'db-' + instance_id,
                                FLAVOR, None, files, 'mariadb')


def status_of(driver, instance_id):
    return driver.get_server(None, instance_id).status


def wait_status(driver, instance_id, status, timeout=20):
    wait_until(lambda: status_of(driver, instance_id) == status,
               timeout=timeout, interval=0.1,
               message='server %s never became %s (last %s)'
                       % (instance_id, status, status_of(driver,
                                                         instance_id)))


def instance_pid(instances_dir, instance_id, name):
    return daemon.read_pid(os.path.join(instances_dir, instance_id, 'run',
                                        name + '.pid'))


def test_create_goes_build_then_active_and_survives_a_new_driver(
        driver, local_provider):
    server = create(driver, 'inst-a')
    assert server.status == states.ServerStatus.BUILD
    assert server.id == 'inst-a'
    address = server.addresses[0]['address']
    assert server.addresses == [{'address': address, 'type': 'private'}]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(
        CONF.local.address_pool)
    wait_status(driver, 'inst-a', states.ServerStatus.ACTIVE)

    # A restarted taskmanager: a new driver finds the same server.
    again = compute.LocalComputeDriver().get_server(None, 'inst-a')
    assert again.status == states.ServerStatus.ACTIVE
    assert again.addresses[0]['address'] == address
    assert again.flavor_id == '7'

    instance_dir = os.path.join(local_provider, 'inst-a')
    with open(os.path.join(instance_dir, 'server.json')) as record:
        record = json.load(record)
    assert record['address'] == address
    assert record['flavor'] == FLAVOR
    assert record['datastore_manager'] == 'mariadb'
    assert record['status_intent'] == 'active'


def test_injected_files_form_one_guest_config(driver, local_provider):
    server = create(driver, 'inst-b')
    instance_dir = os.path.join(local_provider, 'inst-b')
    info = configparser.RawConfigParser()
    info.read(os.path.join(instance_dir, 'etc', 'guest_info.conf'))
    defaults = info.defaults()
    assert defaults['guest_id'] == 'inst-b'
    assert defaults['datastore_version'] == '10.11.19'
    assert defaults['guest_state_dir'] == os.path.join(instance_dir, 'run')
    assert defaults['engine_bind_host'] == server.addresses[0]['address']
    assert defaults['volume_driver'] == 'directory'
    assert defaults['directory_volume_size_file'] == os.path.join(
        instance_dir, 'volume.json')
    assert defaults['log_dir'] == os.path.join(instance_dir, 'logs')
    assert defaults['log_file'] == 'guestagent.log'
    assert info.get('mariadb', 'mount_point') == os.path.join(
        instance_dir, 'volume')
    with open(os.path.join(instance_dir, 'etc',
                           'trove-guestagent.conf')) as conf:
        assert conf.read() == GUEST_CONFIG
    # Engines (other users) must be able to traverse the directories.
    for sub in ('', 'run', 'logs', 'volume'):
        assert os.stat(os.path.join(instance_dir, sub)).st_mode & 0o755 \
            == 0o755


def test_addresses_are_unique_and_released_on_delete(driver):
    first = create(driver, 'inst-1').addresses[0]['address']
    second = create(driver, 'inst-2').addresses[0]['address']
    assert first != second
    driver.delete_server(None, 'inst-1')
    third = create(driver, 'inst-3').addresses[0]['address']
    assert third == first


def test_an_address_where_something_listens_is_skipped(driver):
    pool = ipaddress.ip_network(CONF.local.address_pool)
    first_host = str(next(pool.hosts()))
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((first_host, 3306))
        squatter.listen()
        server = create(driver, 'inst-busy')
    assert server.addresses[0]['address'] != first_host


def test_stop_and_start(driver, local_provider):
    create(driver, 'inst-s')
    wait_status(driver, 'inst-s', states.ServerStatus.ACTIVE)
    agent = instance_pid(local_provider, 'inst-s', 'guest')
    driver.stop_server(None, 'inst-s')
    assert status_of(driver, 'inst-s') == states.ServerStatus.SHUTDOWN
    assert not daemon.pid_alive(agent)
    driver.start_server(None, 'inst-s')
    wait_status(driver, 'inst-s', states.ServerStatus.ACTIVE)
    assert instance_pid(local_provider, 'inst-s', 'guest') != agent


def test_reboot_restarts_the_agent_but_not_the_engine(driver,
                                                      local_provider):
    CONF.set_override('guest_agent_command',
                      fake_guest_command('--engine'), group='local')
    create(driver, 'inst-r')
    wait_status(driver, 'inst-r', states.ServerStatus.ACTIVE)
    agent = instance_pid(local_provider, 'inst-r', 'guest')
    engine = instance_pid(local_provider, 'inst-r', 'engine')
    assert daemon.pid_alive(engine)
    driver.reboot_server(None, 'inst-r')
    wait_status(driver, 'inst-r', states.ServerStatus.ACTIVE)
    assert instance_pid(local_provider, 'inst-r', 'guest') != agent
    assert not daemon.pid_alive(agent)
    assert daemon.pid_alive(engine)


def test_an_agent_exiting_at_once_is_an_error_with_its_output(driver):
    CONF.set_override('guest_agent_command', fake_guest_command(
        '--mode', 'exit', '--message', 'cannot-open-volume-xyz'),
        group='local')
    create(driver, 'inst-e')
    wait_status(driver, 'inst-e', states.ServerStatus.ERROR)
    server = driver.get_server(None, 'inst-e')
    assert 'cannot-open-volume-xyz' in server.fault


def test_an_agent_that_never_serves_is_an_error_after_the_start_timeout(
        driver):
    CONF.set_override('guest_agent_command',
                      fake_guest_command('--mode', 'never-ready'),
                      group='local')
    CONF.set_override('guest_start_timeout', 1, group='local')
    create(driver, 'inst-n')
    wait_status(driver, 'inst-n', states.ServerStatus.ERROR, timeout=10)
    assert 'did not start serving within 1 seconds' in driver.get_server(
        None, 'inst-n').fault


def test_an_agent_dying_after_being_ready_is_shutdown(driver,
                                                      local_provider):
    create(driver, 'inst-k')
    wait_status(driver, 'inst-k', states.ServerStatus.ACTIVE)
    agent = instance_pid(local_provider, 'inst-k', 'guest')
    os.kill(agent, signal.SIGTERM)      # a clean exit removes agent.ready
    wait_status(driver, 'inst-k', states.ServerStatus.SHUTDOWN)


def test_delete_leaves_no_process_directory_or_address(driver,
                                                       local_provider):
    CONF.set_override('guest_agent_command',
                      fake_guest_command('--engine'), group='local')
    address = create(driver, 'inst-d').addresses[0]['address']
    wait_status(driver, 'inst-d', states.ServerStatus.ACTIVE)
    agent = instance_pid(local_provider, 'inst-d', 'guest')
    engine = instance_pid(local_provider, 'inst-d', 'engine')
    assert daemon.pid_alive(agent) and daemon.pid_alive(engine)

    driver.delete_server(None, 'inst-d')

    assert not daemon.pid_alive(agent)
    assert not daemon.pid_alive(engine)
    assert not os.path.exists(os.path.join(local_provider, 'inst-d'))
    with pytest.raises(base.ServerNotFound):
        driver.get_server(None, 'inst-d')
    with pytest.raises(base.ServerNotFound):
        driver.delete_server(None, 'inst-d')
    assert create(driver, 'inst-d2').addresses[0]['address'] == address


def test_unknown_server(driver):
    with pytest.raises(base.ServerNotFound):
        driver.get_server(None, 'no-such-server')
    with pytest.raises(base.ServerNotFound):
        driver.get_server(None, '../escape')


def test_resize_rewrites_the_flavor(driver):
    create(driver, 'inst-z')
    driver.resize_server(None, 'inst-z', dict(FLAVOR, id='8', ram=1024))
    assert driver.get_server(None, 'inst-z').flavor_id == '8'


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
        files = base.GuestFiles(guest_info='', guest_config='')
        with pytest.raises(exception.ComputeError) as error:
            compute.LocalComputeDriver().create_server(
                None, 'inst-p', 'p', FLAVOR, None, files, 'mariadb')
    finally:
        CONF.clear_override('instances_dir', group='local')
    assert 'chmod o+x %s' % private in str(error.value)
