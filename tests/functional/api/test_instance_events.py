"""The event log of an instance: GET /instances/{id}/events, and the
writers of events that need no running engine (faults, heartbeat expiry
and recovery, retention).

The API runs in this process on a seeded SQLite control database.
"""

import datetime

import pytest
import sqlalchemy as sa

from tests.functional.api.test_instances import (BASE, OTHER_PROJECT,
                                                 add_instance)
from tests.functional.responses import fault, ok
from trove.common import context as trove_context
from trove.common import states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import events
from trove.records import faults
from trove.records import service_status
from trove.taskmanager import heartbeat_events

pytestmark = pytest.mark.functional


def admin():
    return trove_context.get_admin_context()


def listed(api, instance_id, query=''):
    return ok(api.get('%s/instances/%s/events%s' % (BASE, instance_id,
                                                   query)))


def test_events_are_listed_newest_first_with_time_actor_and_message(
        api, ids):
    instance_id = add_instance(ids)
    user = trove_context.TroveContext(user_id='alice',
                                      project_id='instance-project')
    events.record(user, instance_id, events.TASK_START,
                  'The restart of the database engine started.')
    faults.save_fault(admin(), instance_id, 'The engine did not start.')
    body = listed(api, instance_id)
    kinds = [event['kind'] for event in body['events']]
    assert kinds == [events.FAULT, events.TASK_START]
    newest, oldest = body['events']
    assert newest['message'] == 'The engine did not start.'
    assert newest['actor'] == 'system'
    assert oldest['actor'] == 'user alice (project instance-project)'
    assert oldest['message'] == 'The restart of the database engine started.'
    created = datetime.datetime.fromisoformat(oldest['created'])
    assert abs(created - db_models.utcnow()) < datetime.timedelta(minutes=1)
    assert 'links' not in body


def test_pages_walk_every_event_once(api, ids):
    instance_id = add_instance(ids)
    for number in range(7):
        events.record(admin(), instance_id, events.BACKUP, 'event %d'
                      % number)
    seen = []
    query = '?limit=3'
    while True:
        body = listed(api, instance_id, query)
        seen += [event['message'] for event in body['events']]
        if 'links' not in body:
            break
        marker = body['links'][0]['href'].split('marker=')[1]
        query = '?limit=3&marker=' + marker
    assert seen == ['event %d' % number for number in range(6, -1, -1)]


def test_a_bad_marker_is_400_and_another_projects_instance_404(api, ids):
    instance_id = add_instance(ids)
    name, message = fault(api.get('%s/instances/%s/events?marker=x'
                                  % (BASE, instance_id)), 400)
    assert name == 'badRequest' and 'marker' in message
    theirs = add_instance(ids, project=OTHER_PROJECT)
    name, _message = fault(api.get('%s/instances/%s/events'
                                   % (BASE, theirs)), 404)
    assert name == 'itemNotFound'


def _heartbeat_at(instance_id, when):
    with db_api.writer(admin()) as session:
        session.execute(sa.update(db_models.ServiceStatusRecord).where(
            db_models.ServiceStatusRecord.instance_id == instance_id)
            .values(updated_at=when))


def test_heartbeat_expiry_and_recovery_are_logged_once_each(api, ids):
    instance_id = add_instance(ids)
    now = db_models.utcnow()
    silent = now - datetime.timedelta(seconds=CONF.agent_heartbeat_expiry
                                      + 5)
    _heartbeat_at(instance_id, silent)
    assert heartbeat_events.check(admin(), now=now) == {
        instance_id: events.HEARTBEAT_EXPIRED}
    assert heartbeat_events.check(admin(), now=now) == {}
    service_status.set_status(admin(), instance_id,
                              states.ServiceStatuses.HEALTHY)
    assert heartbeat_events.check(admin()) == {
        instance_id: events.HEARTBEAT_RECOVERED}
    assert heartbeat_events.check(admin()) == {}
    body = listed(api, instance_id)
    assert [event['kind'] for event in body['events']] == [
        events.HEARTBEAT_RECOVERED, events.HEARTBEAT_EXPIRED]
    assert 'has not reported' in body['events'][1]['message']


def test_events_older_than_the_retention_are_removed(api, ids):
    instance_id = add_instance(ids)
    events.record(admin(), instance_id, events.BACKUP, 'old')
    events.record(admin(), instance_id, events.BACKUP, 'new')
    old = db_models.utcnow() - datetime.timedelta(
        days=CONF.instance_events_max_age_days + 1)
    with db_api.writer(admin()) as session:
        session.execute(sa.update(db_models.InstanceEvent).where(
            db_models.InstanceEvent.message == 'old').values(created=old))
    assert events.purge(admin()) == 1
    assert [event['message'] for event in listed(api, instance_id)[
        'events']] == ['new']


def test_the_show_has_the_progress_of_the_flow_under_way(api, ids):
    from tests.functional.api.test_instances import fake_guest
    from trove.records import work_claims as claims
    from trove.taskmanager.flows import base

    instance_id = add_instance(ids)
    seen = []

    class Step(base.Step):
        def __init__(self, name):
            self.name = name

        def run(self, flow):
            with fake_guest(instance_id):
                shown = ok(api.get('%s/instances/%s' % (BASE, instance_id)))
            seen.append(shown['instance']['progress'])

    class Flow(base.Flow):
        name = 'restart'
        steps = (Step('stop'), Step('start'), Step('check'))

    claims.submit_now(admin(), instance_id, 'instance', 'restart')
    Flow(admin(), claims.claim(admin(), instance_id, 'restart'), None).run()
    assert seen == [
        {'operation': 'restart', 'step': None, 'percent': 0},
        {'operation': 'restart', 'step': 'stop', 'percent': 33},
        {'operation': 'restart', 'step': 'start', 'percent': 66}]
    with fake_guest(instance_id):
        shown = ok(api.get('%s/instances/%s' % (BASE, instance_id)))
    assert 'progress' not in shown['instance']
    assert [e['kind'] for e in listed(api, instance_id)['events']] == [
        events.TASK_END, events.TASK_START]
