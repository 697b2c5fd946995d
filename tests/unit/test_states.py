"""Statuses and tasks: unique codes, and the status derivation rules
(reference §5.3) including heartbeat expiry and operating_status."""

import datetime

import pytest

from trove.common import states
from trove.conf import CONF

ST = states.ServiceStatuses
T = states.InstanceTasks
NOW = datetime.datetime(2026, 1, 1, 12, 0, 0)


@pytest.mark.parametrize('table', [ST.ALL, T.ALL, states.ClusterTasks.ALL])
def test_codes_and_names_are_unique(table):
    codes = [entry.code for entry in table]
    names = [entry.name for entry in table]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)


def test_upgrading_has_its_own_code():
    assert ST.UPGRADING.code != ST.RESTARTING.code
    assert ST.from_code(ST.UPGRADING.code) is ST.UPGRADING


def test_service_status_lookups_round_trip():
    for status in ST.ALL:
        assert ST.from_code(status.code) is status
        assert ST.from_description(status.description) is status
    with pytest.raises(ValueError):
        ST.from_description('sleeping')


@pytest.mark.parametrize('name,code,description,api_status', [
    ('RUNNING', 0x01, 'running', 'ACTIVE'),
    ('SHUTDOWN', 0x04, 'shutdown', 'SHUTDOWN'),
    ('FAILED', 0x08, 'failed to spawn', 'FAILED'),
    ('BUILDING', 0x09, 'building', 'BUILD'),
    ('UNKNOWN', 0x16, 'unknown', 'ERROR'),
    ('NEW', 0x17, 'new', 'NEW'),
    ('FAILED_TIMEOUT_GUESTAGENT', 0x18, 'guestagent error', 'ERROR'),
    ('INSTANCE_READY', 0x19, 'instance ready', 'BUILD'),
    ('RESTART_REQUIRED', 0x20, 'restart required', 'RESTART_REQUIRED'),
    ('HEALTHY', 0x21, 'healthy', 'HEALTHY'),
    ('RESTARTING', 0x22, 'restarting', 'RESTARTING'),
])
def test_service_statuses_keep_upstream_values(name, code, description,
                                               api_status):
    status = getattr(ST, name)
    assert (status.code, status.description, status.api_status) == (
        code, description, api_status)


def test_instance_tasks_keep_upstream_codes():
    assert (T.NONE.code, T.BUILDING.code, T.BUILDING_ERROR_SERVER.code,
            T.BUILDING_ERROR_TIMEOUT_GA.code,
            T.UPDATING_ERROR_ACCESS.code) == (0x01, 0x05, 0x51, 0x5b, 0x5d)
    assert T.from_name('RESIZING') is T.RESIZING
    assert T.from_code(0x59) is T.UPGRADING


def test_every_stuck_task_has_an_error_task_and_a_deadline_option():
    stuck = T.stuck_tasks()
    assert {t.name for t in stuck} >= {'BUILDING', 'DELETING', 'RESIZING'}
    for task in stuck:
        assert T.from_name(task.on_stuck).is_error
        assert isinstance(getattr(CONF, task.stuck_after), int)


def status(task, server_status='ACTIVE', backup=False):
    return states.instance_status(task, server_status, backup)


@pytest.mark.parametrize('task,server_status,backup,expected', [
    # 1. error tasks win over everything
    (T.BUILDING_ERROR_SERVER, 'ACTIVE', True, 'ERROR'),
    (T.UPDATING_ERROR_ACCESS, 'ACTIVE', False, 'ERROR'),
    # 2. building: BUILD unless the server failed
    (T.BUILDING, 'BUILD', False, 'BUILD'),
    (T.BUILDING, 'ACTIVE', True, 'BUILD'),
    (T.BUILDING, 'ERROR', False, 'ERROR'),
    # 3. other running tasks name the status
    (T.REBOOTING, 'ACTIVE', False, 'REBOOT'),
    (T.RESIZING, 'ACTIVE', False, 'RESIZE'),
    (T.UPGRADING, 'ACTIVE', False, 'UPGRADE'),
    (T.RESTART_REQUIRED, 'ACTIVE', False, 'RESTART_REQUIRED'),
    (T.PROMOTING, 'ACTIVE', False, 'PROMOTE'),
    (T.EJECTING, 'ACTIVE', False, 'EJECT'),
    (T.LOGGING, 'ACTIVE', False, 'LOGGING'),
    (T.DETACHING, 'ACTIVE', False, 'DETACH'),
    # 4. deleting: SHUTDOWN while the server is still known, else ERROR
    (T.DELETING, 'ACTIVE', False, 'SHUTDOWN'),
    (T.DELETING, 'SHUTDOWN', False, 'SHUTDOWN'),
    (T.DELETING, 'DELETED', False, 'SHUTDOWN'),
    (T.DELETING, 'ERROR', False, 'ERROR'),
    # 5. a running backup
    (T.NONE, 'ACTIVE', True, 'BACKUP'),
    # 6. the server status
    (T.NONE, 'ACTIVE', False, 'ACTIVE'),
    (T.NONE, 'SHUTDOWN', False, 'SHUTDOWN'),
    (T.NONE, 'REBOOT', False, 'REBOOT'),
    (T.NONE, 'VERIFY_RESIZE', False, 'RESIZE'),
    # 7. anything else
    (T.NONE, 'PAUSED', False, 'UNKNOWN'),
    (T.NONE, None, False, 'UNKNOWN'),
])
def test_instance_status(task, server_status, backup, expected):
    assert status(task, server_status, backup) == expected


def effective(task, service_status, age_seconds, expiry=90):
    updated = None if age_seconds is None else NOW - datetime.timedelta(
        seconds=age_seconds)
    return states.effective_service_status(task, service_status, updated,
                                           NOW, expiry)


def test_heartbeat_fresh_keeps_the_reported_status():
    assert effective(T.NONE, ST.HEALTHY, 89) is ST.HEALTHY


def test_heartbeat_expired_means_the_guest_is_dead():
    assert effective(T.NONE, ST.HEALTHY, 90) is ST.FAILED_TIMEOUT_GUESTAGENT
    assert effective(T.NONE, ST.RUNNING, 3600) is \
        ST.FAILED_TIMEOUT_GUESTAGENT


def test_heartbeat_expiry_spares_pending_restarts_and_running_tasks():
    assert effective(T.NONE, ST.RESTART_REQUIRED, 3600) is \
        ST.RESTART_REQUIRED
    assert effective(T.BUILDING, ST.NEW, 3600) is ST.NEW
    assert effective(T.NONE, ST.NEW, None) is ST.NEW


def test_heartbeat_expiry_uses_the_configured_seconds():
    assert effective(T.NONE, ST.HEALTHY, 20, expiry=10) is \
        ST.FAILED_TIMEOUT_GUESTAGENT


@pytest.mark.parametrize('task,server_status,service_status,expected', [
    (T.NONE, 'ACTIVE', ST.HEALTHY, 'HEALTHY'),
    (T.NONE, 'ACTIVE', ST.RUNNING, 'ACTIVE'),
    (T.NONE, 'ACTIVE', ST.FAILED_TIMEOUT_GUESTAGENT, 'ERROR'),
    (T.NONE, 'ACTIVE', ST.SHUTDOWN, 'SHUTDOWN'),
    (T.NONE, 'BUILD', ST.HEALTHY, ''),
    (T.NONE, 'SHUTDOWN', ST.SHUTDOWN, ''),
    (T.BUILDING, 'ACTIVE', ST.HEALTHY, ''),
    (T.RESIZING, 'ACTIVE', ST.HEALTHY, ''),
])
def test_operating_status(task, server_status, service_status, expected):
    assert states.operating_status(task, server_status,
                                   service_status) == expected


def test_operating_status_after_an_expired_heartbeat_is_error():
    service_status = effective(T.NONE, ST.HEALTHY, 120)
    assert states.operating_status(T.NONE, 'ACTIVE', service_status) == \
        'ERROR'


def test_action_allowed_and_datastore_running_sets():
    assert states.ACTION_ALLOWED_SERVICE_STATUSES == {
        ST.RUNNING, ST.SHUTDOWN, ST.CRASHED, ST.BLOCKED, ST.HEALTHY,
        ST.RESTART_REQUIRED}
    assert states.DATASTORE_RUNNING_STATUSES == {ST.RUNNING, ST.HEALTHY}


def test_backup_states():
    B = states.BackupState
    assert set(B.RUNNING_STATES) == {'NEW', 'BUILDING', 'SAVING'}
    assert set(B.END_STATES) == {'COMPLETED', 'FAILED', 'DELETE_FAILED',
                                 'RESTORED'}
    assert set(B.USABLE_STATES) == {'COMPLETED', 'RESTORED'}
