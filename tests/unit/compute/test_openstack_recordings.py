"""The committed recordings of the real OpenStack stack replay as recorded.

tests/fixtures/openstack holds responses recorded from the stack by
tests/openstack/test_recordings.py. Replaying one through the same client
scenario must give what the real run observed and ask for nothing that
was not recorded; this keeps fixtures and replay transport honest for the
provider's fast tests.
"""

import json
import pathlib

import pytest

from tests.helpers import openstack_recording as recording
from tests.helpers import openstack_scenarios as scenarios

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / 'fixtures' / \
    'openstack'


def _server_with_volume_ids(exchanges):
    create = next(e for e in exchanges if e['method'] == 'POST' and
                  e['url'].endswith('/v2.1/servers'))
    server = create['request']['server']
    return (server['imageRef'], server['flavorRef'],
            server['networks'][0]['uuid'])


def test_server_with_volume_replays_what_was_recorded():
    exchanges, observed = recording.load(FIXTURES / 'server_with_volume.json')
    session, adapter = recording.replay_session(exchanges)

    seen = scenarios.server_with_volume(
        session, *_server_with_volume_ids(exchanges), interval=0)

    assert seen == observed
    assert seen['server_status'] == 'ACTIVE'
    assert adapter.unmatched == []
    create = next(r for r in adapter.requests if r['method'] == 'POST' and
                  r['url'].endswith('/v2.1/servers'))
    assert create['headers']['X-OpenStack-Nova-API-Version'] == \
        scenarios.NOVA_MICROVERSION


def test_an_unrecorded_request_is_a_501_naming_it():
    exchanges, _observed = recording.load(
        FIXTURES / 'server_with_volume.json')
    session, adapter = recording.replay_session(exchanges)

    response = session.get('http://compute.test/v2.1/os-hypervisors',
                           raise_exc=False)

    assert response.status_code == 501
    assert 'not recorded: GET' in json.dumps(response.json())
    assert adapter.unmatched == [
        ('GET', 'http://compute.test/v2.1/os-hypervisors')]


def test_recordings_hold_no_secret_or_port():
    text = (FIXTURES / 'server_with_volume.json').read_text()

    assert '127.0.0.1' not in text
    assert 'gAAAA' not in text          # fernet tokens
    assert '"password"' not in text


@pytest.fixture(autouse=True)
def _fixtures_present():
    assert FIXTURES.is_dir(), 'tests/fixtures/openstack is missing'
