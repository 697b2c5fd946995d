"""The point-in-time recovery index on SQLite, MariaDB and PostgreSQL: the
bases a restore can start from, markers ordered among the files, the
conductor's notices, and retention deleting rows (doc/pitr.md)."""

import datetime
import time

import pytest

from tests.helpers import factories
from trove.common import context as trove_context
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import pitr_index
from trove.taskmanager import pitr_retention

pytestmark = pytest.mark.functional

DAY = 86400


def moment(seconds):
    return datetime.datetime.fromtimestamp(
        seconds, datetime.timezone.utc).replace(tzinfo=None)


def add_backup(ctx, instance_id, started, completed, parent_id=None,
               state='COMPLETED'):
    with db_api.writer(ctx) as session:
        row = db_models.Backup(
            name='b', tenant_id='demo', instance_id=instance_id,
            state=state, parent_id=parent_id, created=moment(started),
            updated=moment(completed))
        session.add(row)
        session.flush()
        return row.id


def binlog(seq, opened, closed, state='archived'):
    return {'name': 'mysql-bin.%06d' % seq, 'kind': 'binlog', 'seq': seq,
            'state': state, 'opened_at': opened, 'closed_at': closed,
            'location': 'file:///nowhere/%d' % seq
            if state == 'archived' else None}


def test_bases_order_notices_and_retention(db):
    ctx = trove_context.get_admin_context()
    instance_id = factories.create_test_instance(ctx, work=None)
    old = int(time.time()) - 10 * DAY
    noticed = []
    lost = pitr_index.record(ctx, instance_id, [
        binlog(1, old, old + 100.25), binlog(2, old + 100.25, old + 200),
        {'name': 'archiving-off-1', 'kind': 'off', 'state': 'off',
         'opened_at': old + 200, 'closed_at': old + 260,
         'reason': 'log_bin off'},
        binlog(3, old + 260, old + 300), binlog(5, old + 300, old + 400),
        binlog(6, old + 400, old + 500, state='failed')], noticed)
    assert lost == []
    # The period and the upload that failed; mysql-bin.000005 follows 3
    # with 4 left out, after the period, so it is noticed too.
    assert sorted(n['state'] for n in noticed) == ['failed', 'off',
                                                   'skipped']
    rows = pitr_index.archives_of(ctx, instance_id)
    assert [r.name for r in rows] == [
        'mysql-bin.000001', 'mysql-bin.000002', 'archiving-off-1',
        'mysql-bin.000003', 'mysql-bin.000005', 'mysql-bin.000006']
    # Double keeps the fraction on every backend.
    assert rows[0].closed_at == pytest.approx(old + 100.25, abs=1e-6)

    full = add_backup(ctx, instance_id, old + 150, old + 160)
    incremental = add_backup(ctx, instance_id, old + 350, old + 360,
                             parent_id=full)
    add_backup(ctx, instance_id, old + 380, old + 390, state='FAILED')
    bases = pitr_index.base_backups(ctx, instance_id)
    assert [b.id for b in bases] == [full, incremental]
    assert bases[0].time == pytest.approx(old + 160, abs=1e-6)
    assert pitr_index.instances_with_archives(ctx) == [instance_id]

    CONF.set_override('pitr_retention_days', 1)
    try:
        # Only mysql-bin.000001 closed before the full backup started.
        assert pitr_retention.prune_instance(ctx, instance_id) == [
            'mysql-bin.000001']
        with db_api.writer(ctx) as session:
            session.get(db_models.Backup, full).deleted = True
        # Without the full backup the incremental one is no base either:
        # everything past the retention goes, the period's marker too.
        assert pitr_index.base_backups(ctx, instance_id) == []
        assert len(pitr_retention.prune_instance(ctx, instance_id)) == 5
    finally:
        CONF.clear_override('pitr_retention_days')
    assert pitr_index.archives_of(ctx, instance_id) == []
