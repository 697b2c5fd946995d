"""Dry-run plans: ``"dry_run": true`` answers 200 with the plan of a
restart, resize, promote or configuration change and changes nothing.

The API runs in this process on a seeded SQLite control database; casts
would reach the recording taskmanager, which must receive none.
"""

import datetime

import pytest
import sqlalchemy as sa

from tests.functional.api.test_instances import BASE, add_instance
from tests.functional.backup.conftest import recording_taskmanager
from tests.functional.responses import fault, ok
from trove.common import context as trove_context
from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import events
from trove.records import work_claims as claims

pytestmark = pytest.mark.functional


@pytest.fixture
def taskmanager(api, rabbit_transport_url):
    with recording_taskmanager(rabbit_transport_url) as recorder:
        yield recorder


def admin():
    return trove_context.get_admin_context()


def act(api, instance_id, body):
    return api.request('POST', '%s/instances/%s/action' % (BASE, instance_id),
                       body)


def unchanged(instance_id, flavor_id='1', volume_size=1):
    with db_api.reader(admin()) as session:
        row = session.get(db_models.Instance, instance_id)
        assert (row.task_id, row.flavor_id, row.volume_size,
                row.configuration_id) == (
            states.InstanceTasks.NONE.code, flavor_id, volume_size, None)
        assert session.scalars(sa.select(db_models.QuotaUsage)).all() == []
    assert claims.current(admin(), instance_id) is None
    assert events.list_page(admin(), instance_id, 10) == []


def measured(flow, *seconds):
    """Runs of ``flow`` on another instance, as the event log has them."""
    other = 'measured-' + flow
    name = events.FLOW_NAMES[flow].capitalize()
    start = db_models.utcnow() - datetime.timedelta(hours=1)
    with db_api.writer(admin()) as session:
        for duration in seconds:
            for message, at in ((name + ' started.', start),
                                (name + ' finished.', start +
                                 datetime.timedelta(seconds=duration))):
                session.add(db_models.InstanceEvent(
                    instance_id=other, created=at, kind='task', actor='x',
                    message=message))
                session.flush()
            start += datetime.timedelta(minutes=5)


def test_a_dry_run_restart_names_the_restart_and_its_measured_downtime(
        taskmanager, api, ids):
    instance_id = add_instance(ids)
    plan = ok(act(api, instance_id, {'restart': {'dry_run': True}}))['plan']
    assert plan['would_proceed'] is True
    assert [r['id'] for r in plan['restarts']] == [instance_id]
    assert plan['expected_downtime_s'] is None
    assert plan['downtime_basis'].startswith('not measured yet: the '
                                             'restart of the database')
    measured('restart', 8, 12, 30)
    plan = ok(act(api, instance_id, {'restart': {'dry_run': True}}))['plan']
    assert plan['expected_downtime_s'] == 12.0
    assert plan['downtime_basis'].startswith('median of the last 3')
    assert plan['switchover'] is False
    unchanged(instance_id)
    assert taskmanager.calls == []


def test_a_dry_run_resize_changes_nothing_and_names_the_restart(
        taskmanager, api, ids):
    instance_id = add_instance(ids)
    plan = ok(act(api, instance_id, {'resize': {'flavorRef': '2',
                                                'dry_run': True}}))['plan']
    assert plan['changes']['flavor'] == {'from': {'id': '1', 'ram': 1024},
                                         'to': {'id': '2', 'ram': 2048}}
    assert plan['restarts'][0]['id'] == instance_id
    assert 'database engine' in plan['restarts'][0]['restarts']
    assert plan['would_proceed'] is True
    same = ok(act(api, instance_id, {'resize': {'flavorRef': '1',
                                                'dry_run': True}}))['plan']
    assert same['would_proceed'] is False
    [failed] = [p for p in same['preconditions'] if not p['ok']]
    assert failed['name'] == 'another flavor'
    volume = ok(act(api, instance_id, {'resize': {'volume': {'size': 3},
                                                  'dry_run': True}}))['plan']
    assert (volume['changes'], volume['restarts'],
            volume['expected_downtime_s']) == (
        {'volume': {'from': 1, 'to': 3}}, [], 0.0)
    unchanged(instance_id)
    assert taskmanager.calls == []


def test_a_failing_precondition_is_named_not_raised(taskmanager, api, ids):
    instance_id = add_instance(ids)
    with db_api.writer(admin()) as session:
        session.execute(sa.update(db_models.ServiceStatusRecord).where(
            db_models.ServiceStatusRecord.instance_id == instance_id).values(
            status_id=states.ServiceStatuses.BUILDING.code))
    plan = ok(act(api, instance_id, {'restart': {'dry_run': True}}))['plan']
    assert plan['would_proceed'] is False
    assert "BUILD" in plan['preconditions'][0]['message']
    promote = ok(act(api, instance_id, {'promote_to_replica_source': {
        'dry_run': True}}))['plan']
    assert promote['would_proceed'] is False
    assert 'not a replica' in promote['preconditions'][0]['message']
    assert promote['switchover'] is True
    name, _message = fault(act(api, instance_id, {'eject_replica_source': {
        'dry_run': True}}), 400)
    assert name == 'badRequest'


def test_dry_run_configuration_attach_and_patch(taskmanager, api, ids):
    instance_id = add_instance(ids)
    group = ok(api.request('POST', BASE + '/configurations', {
        'configuration': {'name': 'g', 'values': {'wait_timeout': 100},
                          'datastore': {'type': 'mysql',
                                        'version': '8.0'}}}))[
        'configuration']
    plan = ok(api.request('PUT', '%s/instances/%s' % (BASE, instance_id), {
        'instance': {'configuration': group['id'], 'dry_run': True}}))[
        'plan']
    assert (plan['changes']['values'], plan['changes']['live'],
            plan['restart_required'] if 'restart_required' in plan
            else plan['changes']['restart_required']) == (
        {'wait_timeout': 100}, ['wait_timeout'], [])
    assert plan['would_proceed'] is True
    unchanged(instance_id)

    url = '%s/configurations/%s' % (BASE, group['id'])
    patch = ok(api.request('PATCH', url, {'configuration': {
        'values': {'sql_mode': 'ANSI', 'wait_timeout': 100},
        'dry_run': True}}))['plan']
    assert patch['changes'] == {'sql_mode': {'from': None, 'to': 'ANSI'}}
    assert (patch['restart_required'], patch['live']) == (['sql_mode'], [])
    assert ok(api.get(url))['configuration']['values'] == {
        'wait_timeout': 100}
    name, _message = fault(api.request('PATCH', url, {'configuration': {
        'values': {'wait_timeout': 0}, 'dry_run': True}}), 422)
    assert name == 'unprocessableEntity'
    assert taskmanager.calls == []


def test_a_dry_run_upgrade_names_the_version_and_changes_nothing(
        taskmanager, api, ids):
    from trove.datastore import models as datastore_models
    datastore_models.update_version(admin(), 'mysql', '8.4', 'mysql', '',
                                    '', True, image_tags=['trove'],
                                    version='8.4.2')
    instance_id = add_instance(ids)
    measured('upgrade', 12, 20, 14)
    url = '%s/instances/%s' % (BASE, instance_id)
    plan = ok(api.request('PATCH', url, {'instance': {
        'datastore_version': '8.4', 'dry_run': True}}))['plan']
    assert plan['action'] == 'upgrade' and plan['would_proceed'] is True
    change = plan['changes']['datastore_version']
    assert change['from']['name'] == '8.0'
    assert (change['to']['name'], change['to']['version']) == ('8.4', '8.4.2')
    assert plan['restarts'][0]['id'] == instance_id
    assert plan['expected_downtime_s'] == 14.0
    # The current version again: the plan says why it would not proceed.
    same = ok(api.request('PATCH', url, {'instance': {
        'datastore_version': '8.0', 'dry_run': True}}))['plan']
    assert same['would_proceed'] is False
    assert 'already runs' in same['preconditions'][0]['message']
    unchanged(instance_id)
    assert taskmanager.calls == []
