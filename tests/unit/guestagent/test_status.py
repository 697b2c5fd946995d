"""How the agent maps what it observes to a service status."""

import pytest

from trove.common.states import ServiceStatuses
from trove.guestagent import status


@pytest.mark.parametrize('failed, alive, query_ok, stopped, expected', [
    (False, True, True, False, ServiceStatuses.HEALTHY),
    (False, True, False, False, ServiceStatuses.RUNNING),
    (False, False, False, True, ServiceStatuses.SHUTDOWN),
    (False, False, False, False, ServiceStatuses.CRASHED),
    (True, False, False, False, ServiceStatuses.FAILED),
    (True, True, True, False, ServiceStatuses.FAILED),
    # A running engine is what it is, whatever was asked before.
    (False, True, True, True, ServiceStatuses.HEALTHY),
])
def test_derive_status(failed, alive, query_ok, stopped, expected):
    assert status.derive_status(failed, alive, query_ok, stopped) is expected


def test_reported_descriptions_are_known_to_the_conductor():
    for description in ('healthy', 'running', 'shutdown', 'crashed',
                        'failed to spawn', 'building', 'restarting'):
        assert ServiceStatuses.from_description(description).description \
            == description


def test_markers(tmp_path):
    reporter = status.StatusReporter(str(tmp_path), 'instance-1')
    assert not reporter.prepare_ended
    reporter.mark_stopped(True)
    assert reporter.stopped_on_request
    assert oct((tmp_path / status.ENGINE_STOPPED).stat().st_mode
               & 0o777) == '0o600'
    reporter.mark_stopped(False)
    assert not reporter.stopped_on_request
    (tmp_path / status.PREPARE_FAILED).write_text('boom\n')
    assert reporter.prepare_failed and reporter.prepare_ended
    assert not reporter.is_prepared
