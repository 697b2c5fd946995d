"""The openstack provider at its HTTP boundary, against responses recorded
from the real stack (tests/fixtures/openstack, made by
tests/openstack/test_recordings.py).

Each test replays a recorded scenario through the provider and checks
both what it observed (the same as the real run) and what it sent: the
server create payload (image, flavor, ports, volume, server group, tags,
the user-data decoded), the security group rules, the Cinder and Nova
volume calls, the deletes, and the messages of refused creates.
"""

import base64
import pathlib

import pytest

from tests.helpers import openstack_recording as recording
from tests.helpers import openstack_scenarios as scenarios
from trove import compute
from trove.compute.openstack import clients, waits
from trove.conf import CONF
from trove.localenv.openstack import cloud_init

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / 'fixtures' / \
    'openstack'


class Replay:
    def __init__(self, name):
        data = recording.load_all(FIXTURES / (name + '.json'))
        self.exchanges = data['exchanges']
        self.observed = data['observed']
        self.ids = data['context']['ids']
        self.resources = data['context']['resources']
        self.session, self.adapter = recording.replay_session(
            self.exchanges)

    def sent(self, method, path_part):
        return [request for request in self.adapter.requests
                if request['method'] == method and
                path_part in request['url']]

    def answers(self, method, path_part):
        return [exchange['body'] for exchange in self.exchanges
                if exchange['method'] == method and
                path_part in exchange['url']]


@pytest.fixture
def replay_provider(monkeypatch):
    """The openstack provider configured as when recorded, on a replay."""
    overrides = []

    def override(name, value, group=None):
        CONF.set_override(name, value, group=group)
        overrides.append((name, group))

    def start(name):
        replay = Replay(name)
        override('compute_provider', 'openstack')
        override('management_networks',
                 [replay.resources['management_network_id']])
        clients.set_session(replay.session)
        compute.reset()
        return replay, compute.get_provider()

    monkeypatch.setattr(waits, 'POLL_INTERVAL', 0)
    yield start
    clients.set_session(None)
    for name, group in overrides:
        CONF.clear_override(name, group=group)
    compute.reset()


def _run_lifecycle(replay_provider):
    replay, provider = replay_provider('server_lifecycle')
    seen = scenarios.server_lifecycle(provider, replay.ids,
                                      replay.resources, interval=0)
    return replay, seen


def test_server_lifecycle_replays_as_recorded(replay_provider):
    replay, seen = _run_lifecycle(replay_provider)

    assert recording.normalized(seen) == replay.observed
    assert replay.adapter.unmatched == []
    assert seen['server'][0] == 'ACTIVE'
    assert seen['attachment'] == ('/dev/vdb', '/var/lib/mysql')
    # The address is known at create, from the ports made for it.
    assert seen['created_addresses'] == seen['addresses']
    assert seen['addresses'][0]['network'] == \
        replay.resources['user_network_id']


def test_server_create_payload(replay_provider):
    replay, seen = _run_lifecycle(replay_provider)
    instance_id = replay.ids['instance']

    [create] = replay.sent('POST', '/v2.1/servers')
    assert create['url'].endswith('/v2.1/servers')
    assert create['headers']['X-OpenStack-Nova-API-Version'] == '2.57'
    server = create['json']['server']
    [image] = replay.answers('GET', '/v2/images')[0]['images']
    assert 'trove' in image['tags'] and 'mariadb' in image['tags']
    assert server['imageRef'] == image['id']
    assert server['flavorRef'] == replay.resources['flavors']['trove.small']
    # User's port first, management last; both made by Trove.
    ports = [answer['port'] for answer in
             replay.answers('POST', '/v2.0/ports')]
    assert [p['network_id'] for p in ports] == [
        replay.resources['user_network_id'],
        replay.resources['management_network_id']]
    assert server['networks'] == [{'port': p['id']} for p in ports]
    # novaclient puts the image first; the data volume follows.
    assert server['block_device_mapping_v2'][1:] == [{
        'uuid': seen['ids']['volume'], 'source_type': 'volume',
        'destination_type': 'volume', 'boot_index': -1,
        'device_name': 'vdb', 'delete_on_termination': False}]
    assert server['block_device_mapping_v2'][0]['uuid'] == image['id']
    assert create['json']['os:scheduler_hints'] == {
        'group': seen['ids']['group']}
    assert set(server['tags']) == {'trove_instance', 'trove_mariadb',
                                   'trove_instance_id_%s' % instance_id}
    assert server['metadata'] == {'trove_instance_id': instance_id}

    data = cloud_init.read_user_data(
        base64.b64decode(server['user_data']))
    files = data.files
    assert files['/etc/trove/conf.d/guest_info.conf']['content'] == \
        scenarios.GUEST_INFO % instance_id
    assert files['/etc/trove/conf.d/trove-guestagent.conf']['content'] == \
        scenarios.GUEST_CONFIG
    assert {entry['owner'] for entry in files.values()} == {'ubuntu:root'}


def test_security_group_opens_the_engine_ports_to_the_allowed_cidrs(
        replay_provider):
    replay, _seen = _run_lifecycle(replay_provider)
    instance_id = replay.ids['instance']

    [group] = replay.sent('POST', '/v2.0/security-groups')
    assert group['json']['security_group']['name'] == \
        'trove_sg-%s' % instance_id
    group_id = replay.answers('POST', '/v2.0/security-groups')[0][
        'security_group']['id']
    rules = [request['json']['security_group_rule'] for request in
             replay.sent('POST', '/v2.0/security-group-rules')]
    assert sorted((r['protocol'], r['port_range_min'], r['port_range_max'],
                   r['remote_ip_prefix'], r['direction'])
                  for r in rules) == [
        ('tcp', port, port, scenarios.ALLOWED_CIDR, 'ingress')
        for port in (3306, 4444, 4567, 4568)]
    assert {r['security_group_id'] for r in rules} == {group_id}
    for request in replay.sent('POST', '/v2.0/ports'):
        assert request['json']['port']['security_groups'] == [group_id]
        assert request['json']['port']['name'] == 'trove-%s' % instance_id


def test_volume_calls(replay_provider):
    replay, seen = _run_lifecycle(replay_provider)
    instance_id = replay.ids['instance']
    volume_id = seen['ids']['volume']

    [create] = [request for request in replay.sent('POST', '/volumes')
                if request['url'].endswith('/volumes')]
    assert create['json']['volume']['size'] == 1
    assert create['json']['volume']['name'] == 'trove-%s' % instance_id
    assert create['json']['volume']['metadata'] == {
        'trove_instance_id': instance_id}
    [extend] = replay.sent('POST', '/volumes/%s/action' % volume_id)
    assert extend['json'] == {'os-extend': {'new_size': 2}}
    assert extend['headers']['OpenStack-API-Version'] == 'volume 3.42'
    # Attached at boot: attach_volume adds no second attachment.
    assert replay.sent('POST', '/os-volume_attachments') == []
    [detach] = replay.sent('DELETE', '/os-volume_attachments/%s'
                           % volume_id)
    assert seen['ids']['server'] in detach['url']
    assert replay.sent('DELETE', '/volumes/%s' % volume_id)


def test_delete_removes_the_server_then_its_ports_and_group(
        replay_provider):
    replay, seen = _run_lifecycle(replay_provider)

    deletes = [request['url'] for request in replay.adapter.requests
               if request['method'] == 'DELETE']
    server_delete = deletes.index(
        next(url for url in deletes
             if url.endswith('/servers/%s' % seen['ids']['server'])))
    ports = [p['port']['id'] for p in replay.answers('POST', '/v2.0/ports')]
    for port_id in ports:
        assert deletes.index(next(u for u in deletes
                                  if u.endswith('/ports/%s' % port_id))) > \
            server_delete
    assert any('/security-groups/' in url for url in deletes)
    assert any(url.endswith('/os-server-groups/%s' % seen['ids']['group'])
               for url in deletes)


def test_refused_creates_become_messages_a_user_can_act_on(
        replay_provider):
    replay, provider = replay_provider('create_faults')

    seen = scenarios.create_faults(provider, replay.ids, replay.resources,
                                   lambda value: None, interval=0)

    assert recording.normalized(seen) == replay.observed
    assert replay.adapter.unmatched == []
    assert 'No active image for this datastore version' in seen['image']
    status, fault = seen['second_member']
    assert status == 'ERROR'
    assert fault.startswith('No compute host can run this instance')
    assert 'anti-affinity' in fault
    assert seen['quota'].startswith(
        'The cloud quota of the Trove service project is used up')
    # The refused create left nothing: its ports and group were deleted.
    quota_id = replay.ids['quota']
    [group] = [answer['security_group'] for answer in
               replay.answers('POST', '/v2.0/security-groups')
               if answer['security_group']['name'].endswith(quota_id)]
    assert replay.sent('DELETE', '/security-groups/%s' % group['id'])
    # The missing image stopped the create before anything was made.
    assert not any(replay.ids['missing_image'] in request['url']
                   for request in replay.adapter.requests
                   if request['method'] == 'POST')


def test_an_unrecorded_request_is_a_501_naming_it():
    replay = Replay('server_lifecycle')

    response = replay.session.get('http://compute.test/v2.1/os-hypervisors',
                                  raise_exc=False)

    assert response.status_code == 501
    assert 'not recorded: GET' in response.text
    assert replay.adapter.unmatched == [
        ('GET', 'http://compute.test/v2.1/os-hypervisors')]


@pytest.mark.parametrize('name', ['server_lifecycle', 'create_faults'])
def test_recordings_hold_no_secret_or_port(name):
    text = (FIXTURES / (name + '.json')).read_text()

    assert '127.0.0.1' not in text
    assert 'gAAAA' not in text          # fernet tokens
    assert '"password"' not in text
