"""Restore drills compare row counts and run the user's query: the counts
a backup's guest reports through the conductor, the drill request with a
query, and the checks of a restored sandbox (its guest faked)."""

import json
import time

import pytest

from tests.functional.backup.conftest import BASE, fault, ok
from trove.backup import drills
from trove.common import states
from trove.conductor import manager as conductor_manager
from trove.db import api as db_api
from trove.db import models as db_models

pytestmark = pytest.mark.functional

RECORDED = {'method': 'exact', 'tables': {'shop.orders': 120,
                                           'shop.items': 7},
            'changed': ['shop.log'], 'truncated': False}


def drill_url(backup_id):
    return '%s/backups/%s/drill' % (BASE, backup_id)


def test_the_counts_a_guest_reports_are_kept_and_summarised(world):
    conductor = conductor_manager.Manager()
    instance_id = world.instance()
    backup_id = world.backup(instance_id, state='BUILDING')
    conductor.update_backup(world.context, instance_id, backup_id,
                            sent=time.time(), state='COMPLETED',
                            row_counts=RECORDED)
    assert json.loads(world.row(backup_id).row_counts) == RECORDED
    shown = ok(world.api.get('%s/backups/%s' % (BASE, backup_id)))['backup']
    assert shown['row_counts'] == {'method': 'exact', 'tables': 2,
                                   'changed_during_backup': ['shop.log'],
                                   'truncated': False}


@pytest.mark.parametrize('body, words', [
    ({'drill': {'query': 'DELETE FROM shop.orders'}}, 'one SELECT'),
    ({'drill': {'query': 'SELECT 1; DROP TABLE t'}}, 'one SELECT'),
    ({'drill': {'query': 'SELECT 1', 'user': 'x'}}, 'user'),
])
def test_a_drill_query_that_is_not_one_select_is_400(world, body, words):
    backup_id = world.backup(world.instance(), location='file:///x')
    assert words in fault(world.api.request('POST', drill_url(backup_id),
                                            body), 400)


def test_a_drill_keeps_its_query(world):
    backup_id = world.backup(world.instance(), location='file:///x')
    drill = ok(world.api.request('POST', drill_url(backup_id), {
        'drill': {'query': ' select count(*) from orders; ',
                  'database': 'shop'}}), 202)['drill']
    assert (drill['query'], drill['database']) == (
        'select count(*) from orders', 'shop')


class FakeGuest:
    answers = {}
    asked = []

    def __init__(self, context, instance_id):
        pass

    def get_diagnostics(self, checks=None):
        FakeGuest.asked.append(checks)
        return {'version': '11.4', 'checks': FakeGuest.answers}


class Sandbox:
    id = 'sandbox-1'
    service_status = states.ServiceStatuses.HEALTHY


@pytest.fixture
def checked(world, monkeypatch):
    """(drill row, run the checks of the faked sandbox)"""
    monkeypatch.setattr(drills.guest_api, 'API', FakeGuest)
    monkeypatch.setattr(drills, '_databases', lambda context, i: ['shop'])
    FakeGuest.asked = []
    instance_id = world.instance()
    backup_id = world.backup(instance_id, location='file:///x')
    with db_api.writer(world.context) as session:
        session.get(db_models.Backup, backup_id).row_counts = json.dumps(
            RECORDED)

    def check(answers, query=None, restore_time=None):
        FakeGuest.answers = answers
        row = drills.Row(id='d', backup_id=backup_id, instance_id=instance_id,
                         tenant_id='p', state=drills.RESTORING,
                         check_query=query, check_database='shop',
                         restore_time=restore_time)
        return drills._check(world.context, row, Sandbox())
    return check


def test_matching_counts_and_a_query_with_rows_pass(checked):
    problems, passed = checked({
        'row_counts': {'method': 'exact', 'tables': {
            'shop.orders': 120, 'shop.items': 7, 'shop.log': 99}},
        'query': {'rows': 3}}, query='SELECT * FROM orders')
    assert problems == []
    assert 'the exact row counts of 2 tables match' in passed
    assert 'the check query returned 3 rows' in passed
    assert FakeGuest.asked == [{'row_counts': 'exact',
                                'query': 'SELECT * FROM orders',
                                'database': 'shop'}]


def test_tables_that_differ_are_named(checked):
    problems, _passed = checked({'row_counts': {'method': 'exact', 'tables': {
        'shop.orders': 119}}})
    assert problems == [
        "row counts differ from the backup's: shop.items (missing, 7 rows "
        "recorded), shop.orders (119 rows, 120 recorded)"]


def test_a_query_that_fails_or_returns_nothing_fails(checked):
    counts = {'method': 'exact', 'tables': dict(RECORDED['tables'])}
    problems, _ = checked({'row_counts': counts,
                           'query': {'error': 'Table shop.nope does not '
                                              'exist'}}, query='SELECT 1')
    assert problems == ['the check query failed: Table shop.nope does not '
                        'exist']
    problems, _ = checked({'row_counts': counts, 'query': {'rows': 0}},
                          query='SELECT 1')
    assert problems == ['the check query returned no rows']


def test_estimates_are_compared_with_a_tolerance():
    recorded = {'method': 'estimated', 'tables': {'a.big': 1000000,
                                                  'a.small': 10}}
    assert drills.count_differences(
        recorded, {'a.big': 1150000, 'a.small': 900}, tolerance=0.2) == []
    assert drills.count_differences(
        recorded, {'a.big': 700000, 'a.small': 10}, tolerance=0.2) == [
        'a.big (about 700000 rows, about 1000000 recorded)']


def test_a_sandbox_guest_that_cannot_answer_fails_the_drill(checked,
                                                            monkeypatch):
    from trove.common import exception

    def refuse(self, checks=None):
        raise exception.GuestTimeout(instance_id='sandbox-1', timeout=60)
    monkeypatch.setattr(FakeGuest, 'get_diagnostics', refuse)
    problems, _passed = checked({})
    assert len(problems) == 1 and problems[0].startswith(
        'the checks could not run in the sandbox: ')


def test_a_drill_of_a_point_reports_the_counts_it_finds(checked,
                                                        monkeypatch):
    """Rows written after the backup are no failure at a later point: the
    counts are reported, and the source's databases not compared."""
    def not_asked(context, instance_id):
        raise AssertionError('the databases are not compared')
    monkeypatch.setattr(drills, '_databases', not_asked)
    problems, passed = checked({
        'row_counts': {'method': 'exact', 'tables': {
            'shop.orders': 150, 'shop.log': 2}},
        'query': {'rows': 1}}, query='SELECT 1',
        restore_time='2026-12-05T11:50:30.000000Z')
    assert problems == []
    assert passed == [
        'the engine answers',
        'rolled forward to 2026-12-05T11:50:30.000000Z (no transaction '
        'replayed)',
        '2 tables with 152 rows (exact counts) found at that point',
        'the check query returned 1 rows']
    assert FakeGuest.asked == [{'row_counts': 'exact', 'query': 'SELECT 1',
                                'database': 'shop'}]
    problems, _passed = checked({'row_counts': {'error': 'denied'}},
                                restore_time='latest')
    assert problems == ['the row counts of the restore could not be read: '
                        'denied']
