"""Recordings of the real stack, replayed: the fast tests' fixtures.

Each test runs a client scenario against the stack through a recording
session, then replays the recording and checks the replay sees what the
real run saw. With TROVE_OPENSTACK_RECORD_DIR set (to
tests/fixtures/openstack) the recordings are written there, which is how
the committed fixtures are made; otherwise they go to a temp dir.
"""

import os

import pytest

from tests.helpers import openstack_recording as recording
from tests.helpers import openstack_scenarios as scenarios

pytestmark = pytest.mark.openstack


def _record_dir(tmp_path):
    return os.environ.get('TROVE_OPENSTACK_RECORD_DIR') or str(tmp_path)


def test_server_with_volume_recording_replays(openstack_stack, tmp_path):
    resources = openstack_stack.resources
    recorder = recording.Recorder(openstack_stack.environment.endpoints)
    session = openstack_stack.session(
        'trove', requests_session=recorder.requests_session())

    observed = scenarios.server_with_volume(
        session, resources.image_id, resources.flavors['trove.small'],
        resources.management_network_id)

    assert observed['server_status'] == 'ACTIVE'
    assert observed['user_data'] == scenarios.USER_DATA
    assert observed['extended_size'] == 2
    assert observed['detached_status'] == 'available'
    path = os.path.join(_record_dir(tmp_path), 'server_with_volume.json')
    recorder.save(path, observed=observed, note=(
        'novaclient/cinderclient as the trove service user: a server with '
        'user_data on the management network, a volume attached, extended '
        'in use, detached and deleted (tests/openstack/test_recordings.py)'))
    exchanges, saved = recording.load(path)
    assert not any('127.0.0.1' in exchange['url'] for exchange in exchanges)
    replay, adapter = recording.replay_session(exchanges)
    assert scenarios.server_with_volume(
        replay, resources.image_id, resources.flavors['trove.small'],
        resources.management_network_id, interval=0) == saved == observed
    assert adapter.unmatched == []
