"""Recording the openstack provider's exchanges with the real stack.

The fast tests (tests/unit/compute/test_openstack_http.py) replay what
these scenarios recorded: real payloads, microversion headers, state
sequences and error bodies. Recording is on demand, as it writes into the
checkout:

    TROVE_OPENSTACK_RECORD_DIR=$PWD/tests/fixtures/openstack \\
        ./run_tests.sh tests/openstack/test_recordings.py

Each recording is replayed at once through the same scenario, which must
observe what the real run observed. Without the variable the tests skip:
the contract suite and the lifecycle test already run the same provider
paths against the stack.
"""

import os
import uuid

import pytest

from tests.helpers import openstack_recording as recording
from tests.helpers import openstack_scenarios as scenarios
from tests.helpers.openstack import OpenStackHarness
from trove.compute.openstack import clients, waits

pytestmark = pytest.mark.openstack

RECORD_DIR = os.environ.get('TROVE_OPENSTACK_RECORD_DIR')
if not RECORD_DIR:
    pytestmark = [pytestmark, pytest.mark.skip(
        reason='recording is on demand: set TROVE_OPENSTACK_RECORD_DIR')]


def _resources(fixture):
    resources = fixture.resources
    return {'flavors': resources.flavors,
            'user_network_id': resources.user_network_id,
            'management_network_id': resources.management_network_id}


# Fewer polls make smaller recordings (each poll is an exchange).
RECORDING_POLL = 1.5


def _record(openstack_stack, name, scenario, ids, note, **kwargs):
    harness = OpenStackHarness(openstack_stack)
    harness.start()
    driver_poll = waits.POLL_INTERVAL
    waits.POLL_INTERVAL = RECORDING_POLL
    recorder = recording.Recorder(openstack_stack.environment.endpoints)
    try:
        clients.set_session(openstack_stack.session(
            'trove', requests_session=recorder.requests_session()))
        observed = scenario(harness.provider, ids,
                            _resources(openstack_stack),
                            interval=RECORDING_POLL, **kwargs)
    finally:
        waits.POLL_INTERVAL = driver_poll
        # The harness cleans up through the real stack, unrecorded.
        clients.set_session(None)
        harness.stop()
    path = os.path.join(RECORD_DIR, name + '.json')
    recorder.save(path, note=note, observed=observed,
                  context={'ids': ids,
                           'resources': _resources(openstack_stack)})
    replay_kwargs = {key: (lambda *args: None) if callable(value) else value
                     for key, value in kwargs.items()}
    exchanges, saved = recording.load(path)
    replay, adapter = recording.replay_session(exchanges)
    harness.start()
    waits.POLL_INTERVAL = 0
    try:
        clients.set_session(replay)
        replayed = scenario(harness.provider, ids,
                            _resources(openstack_stack), interval=0,
                            **replay_kwargs)
    finally:
        waits.POLL_INTERVAL = driver_poll
        # The harness cleans up through the real stack, unrecorded.
        clients.set_session(None)
        harness.stop()
    assert adapter.unmatched == []
    assert recording.normalized(replayed) == saved
    return observed


def test_record_server_lifecycle(openstack_stack):
    observed = _record(
        openstack_stack, 'server_lifecycle', scenarios.server_lifecycle,
        {'instance': str(uuid.uuid4())},
        'The openstack provider as the trove service user: server group, '
        'volume, server on the user network with the volume at boot, '
        'attach, extend in use, detach, deletes.')
    assert observed['server'][0] == 'ACTIVE'
    assert observed['extended'] == 2


def test_record_create_faults(openstack_stack):
    admin = openstack_stack.session('admin')
    service_project = openstack_stack.identity.projects['service']

    def set_instances_quota(value):
        admin.put('/os-quota-sets/%s' % service_project,
                  json={'quota_set': {'instances': value}},
                  endpoint_filter={'service_type': 'compute',
                                   'interface': 'public'})
    observed = _record(
        openstack_stack, 'create_faults', scenarios.create_faults,
        {'instance': str(uuid.uuid4()), 'other': str(uuid.uuid4()),
         'quota': str(uuid.uuid4()), 'missing_image': str(uuid.uuid4())},
        'The openstack provider refused: image missing, no host for an '
        'anti-affinity member, the service project\'s instance quota.',
        set_instances_quota=set_instances_quota)
    assert observed['second_member'][0] == 'ERROR'
    assert 'quota' in observed['quota']
    assert observed['left'] == []
