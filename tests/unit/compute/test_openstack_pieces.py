"""The openstack provider's pure pieces: user-data, faults, addresses,
security group rules."""

import base64

import pytest

from trove.compute import base
from trove.compute.openstack import addresses, faults, networks, userdata
from trove.conf import CONF
from trove.localenv.openstack import cloud_init

GUEST_INFO = '[DEFAULT]\nguest_id = 1234\ndatastore_manager = mariadb\n'
GUEST_CONFIG = '[DEFAULT]\ntransport_url = rabbit://u:p@10.0.0.1:5672/\n'


@pytest.fixture
def conf_overrides():
    touched = []

    def override(name, value, group=None):
        CONF.set_override(name, value, group=group)
        touched.append((name, group))
    yield override
    for name, group in touched:
        CONF.clear_override(name, group=group)


def _files():
    return base.GuestFiles(guest_info=GUEST_INFO, guest_config=GUEST_CONFIG)


def test_user_data_writes_both_files_where_the_agent_reads_them(
        conf_overrides, tmp_path):
    conf_overrides('cloudinit_location', str(tmp_path / 'none'))

    text = userdata.build(_files(), 'mariadb')

    data = cloud_init.read_user_data(text)
    assert data.parts == ['text/cloud-config']
    assert data.files['/etc/trove/conf.d/guest_info.conf']['content'] == \
        GUEST_INFO
    config = data.files['/etc/trove/conf.d/trove-guestagent.conf']
    assert config['content'] == GUEST_CONFIG
    assert config['owner'] == 'ubuntu:root'
    assert config['permissions'] == '0640'
    # Nova takes it base64-encoded, within its limit.
    assert len(base64.b64encode(text.encode())) < \
        userdata.NOVA_USER_DATA_LIMIT


def test_user_data_follows_the_injection_options(conf_overrides, tmp_path):
    conf_overrides('cloudinit_location', str(tmp_path))
    conf_overrides('injected_config_location', '/opt/guest/conf.d')
    conf_overrides('guest_info', '/etc/trove/who.conf')
    conf_overrides('injected_config_owner', 'trove')
    conf_overrides('injected_config_group', 'trove')

    data = cloud_init.read_user_data(userdata.build(_files(), 'mariadb'))

    assert sorted(data.files) == ['/etc/trove/who.conf',
                                  '/opt/guest/conf.d/trove-guestagent.conf']
    assert {entry['owner'] for entry in data.files.values()} == \
        {'trove:trove'}


def test_the_datastore_cloudinit_script_travels_first(conf_overrides,
                                                      tmp_path):
    conf_overrides('cloudinit_location', str(tmp_path))
    (tmp_path / 'mariadb.cloudinit').write_text(
        '#!/bin/sh\napt-get install -y mariadb-server\n')

    data = cloud_init.read_user_data(userdata.build(_files(), 'mariadb'))

    assert data.parts == ['text/x-shellscript', 'text/cloud-config']
    assert data.scripts == ['#!/bin/sh\napt-get install -y mariadb-server\n']
    assert '/etc/trove/conf.d/guest_info.conf' in data.files


def test_a_datastore_cloud_config_keeps_its_files_beside_ours(
        conf_overrides, tmp_path):
    conf_overrides('cloudinit_location', str(tmp_path))
    (tmp_path / 'postgresql.cloudinit').write_text(
        '#cloud-config\nwrite_files:\n- path: /etc/motd\n  content: hi\n')

    data = cloud_init.read_user_data(userdata.build(_files(), 'postgresql'))

    assert data.parts == ['text/cloud-config', 'text/cloud-config']
    assert data.files['/etc/motd']['content'] == 'hi'
    assert '/etc/trove/conf.d/trove-guestagent.conf' in data.files


def test_user_data_over_novas_limit_is_refused_with_what_to_shorten(
        conf_overrides, tmp_path):
    conf_overrides('cloudinit_location', str(tmp_path))
    big = base.GuestFiles(guest_info=GUEST_INFO,
                          guest_config='#' * userdata.NOVA_USER_DATA_LIMIT)

    with pytest.raises(userdata.UserDataTooLarge) as error:
        userdata.build(big, 'mariadb')

    assert 'guest config file' in str(error.value)


@pytest.mark.parametrize('message,expected', [
    ('No valid host was found. There are not enough hosts available.',
     'No compute host can run this instance'),
    ('Quota exceeded for cores: Requested 1000, but already used 0 of 20 '
     'cores', 'cloud quota of the Trove service project is used up'),
    ('Can not find requested image', 'image of this datastore version'),
    ('Flavor nope could not be found.', 'Flavor small does not exist'),
    ('Something nobody foresaw', 'Nova refused the request: Something'),
])
def test_nova_faults_say_what_to_do(message, expected):
    text = faults.server_fault({'message': message, 'code': 500}, 'small')

    assert expected in text


def test_a_fault_without_message_still_says_where_to_look():
    assert 'Nova logs' in faults.server_fault({})


def test_cinder_faults_use_its_user_messages():
    text = faults.volume_in_error('v1', 5, [
        'schedule allocate volume:Could not find any available weighted '
        'backend.'])

    assert 'No storage backend can hold a volume of 5 GB' in text
    assert 'Cinder could not create' in faults.volume_in_error('v1', 5)


def test_long_service_messages_are_cut():
    text = faults.explain(faults.NOVA_PATTERNS, 'x' * 1000)

    assert len(text) < 300 and text.endswith('...')


def test_addresses_hide_the_management_network_when_there_is_another(
        conf_overrides):
    conf_overrides('management_networks', ['mgmt'])
    ports = [{'network_id': 'mgmt', 'fixed_ips': [{'ip_address':
                                                    '10.110.0.5'}]},
             {'network_id': 'user', 'fixed_ips': [{'ip_address':
                                                    '10.120.0.9'}]}]
    nova = {'user-net': [{'addr': '172.24.4.10',
                          'OS-EXT-IPS:type': 'floating'},
                         {'addr': '10.120.0.9', 'OS-EXT-IPS:type': 'fixed'}]}

    assert addresses.from_ports(ports, nova) == [
        {'address': '10.120.0.9', 'type': 'private', 'network': 'user'},
        {'address': '172.24.4.10', 'type': 'public'}]
    # Only the management network: that is the address to reach.
    assert addresses.from_ports(ports[:1]) == [
        {'address': '10.110.0.5', 'type': 'private', 'network': 'mgmt'}]


def test_address_filters(conf_overrides):
    conf_overrides('black_list_regex', r'^10\.110\.')
    ports = [{'network_id': 'n', 'fixed_ips': [
        {'ip_address': '10.110.0.5'}, {'ip_address': '10.120.0.9'}]}]

    assert [a['address'] for a in addresses.from_ports(ports)] == \
        ['10.120.0.9']
    conf_overrides('ip_regex', r'^192\.')
    assert addresses.from_ports(ports) == []


def test_engine_ports_come_from_the_datastore_group():
    assert networks.engine_ports('mariadb')['tcp'] == [
        (3306, 3306), (4444, 4444), (4567, 4567), (4568, 4568)]
    assert networks.engine_ports('postgresql') == {
        'tcp': [(5432, 5432)], 'udp': []}
    assert networks._port_ranges(['4567-4568']) == [(4567, 4568)]


def test_allowed_cidrs_default_to_the_rule_cidr(conf_overrides):
    assert networks.allowed_cidrs(None) == ['0.0.0.0/0']
    assert networks.allowed_cidrs({'allowed_cidrs': ['10.0.0.0/8']}) == \
        ['10.0.0.0/8']
    conf_overrides('trove_security_group_rule_cidr', '192.168.0.0/16')
    assert networks.allowed_cidrs({'is_public': True}) == ['192.168.0.0/16']
    assert networks.security_group_name('abc') == 'trove_sg-abc'
