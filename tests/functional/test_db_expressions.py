"""SQL helpers of list pages on SQLite, MariaDB and PostgreSQL: the
database's ISO text of a time is exactly the views' text of the value,
and ``read_rows`` returns labelled rows."""

import datetime

import pytest
import sqlalchemy as sa

from trove.common import context as trove_context
from trove.common import views
from trove.db import api as db_api
from trove.db import expressions
from trove.db import models as m

pytestmark = pytest.mark.functional

# Microseconds are truncated, not rounded; a single-digit month, day and
# hour are zero-padded; a time past noon stays on the 24-hour clock.
STAMPS = [
    datetime.datetime(2026, 3, 4, 5, 6, 7),
    datetime.datetime(2026, 12, 31, 23, 59, 59, 999999),
    datetime.datetime(1999, 1, 1, 0, 0, 0, 500000),
    None,
]
ONE_SECOND = datetime.timedelta(seconds=1)


def _add_backups(ctx):
    with db_api.writer(ctx) as session:
        for number, stamp in enumerate(STAMPS):
            session.add(m.Backup(id='backup-%d' % number, name='b%d' % number,
                                 tenant_id='project', state='COMPLETED',
                                 backup_timestamp=stamp))


def test_iso_seconds_is_the_views_text_of_the_value(db):
    ctx = trove_context.get_admin_context()
    _add_backups(ctx)
    statement = (sa.select(
        m.Backup.id, m.Backup.backup_timestamp,
        expressions.iso_seconds(m.Backup.backup_timestamp).label('text'))
        .order_by(m.Backup.id))
    rows = db_api.read_rows(ctx, statement, {})
    assert [row['id'] for row in rows] == [
        'backup-%d' % n for n in range(len(STAMPS))]
    for row, stamp in zip(rows, STAMPS):
        # MariaDB and MySQL keep whole seconds (MySQL may round up).
        stored = row['backup_timestamp']
        assert stored == stamp or stored == stamp.replace(microsecond=0) \
            or stored == stamp.replace(microsecond=0) + ONE_SECOND
        assert row['text'] == views.isotime(stored)
    assert rows[0]['text'] == '2026-03-04T05:06:07'
    assert rows[3]['text'] is None


def test_read_rows_binds_parameters(db):
    ctx = trove_context.get_admin_context()
    _add_backups(ctx)
    statement = (sa.select(m.Backup.name)
                 .where(m.Backup.id == sa.bindparam('wanted')))
    assert db_api.read_rows(ctx, statement, {'wanted': 'backup-2'}) == [
        {'name': 'b2'}]
    assert db_api.read_rows(ctx, statement, {'wanted': 'none'}) == []


def test_row_documents_keep_values_and_types(db):
    ctx = trove_context.get_admin_context()
    awkward = 'it\'s "quoted" \\ back-slashed, ünïcode ✓, 100%'
    with db_api.writer(ctx) as session:
        session.add(m.Backup(id='doc', name=awkward, tenant_id='project',
                             state='COMPLETED', size=1.25, description=None,
                             backup_timestamp=STAMPS[0]))
    statement = sa.select(expressions.row_document(
        name=m.Backup.name, size=m.Backup.size,
        description=m.Backup.description,
        stamp=expressions.iso_seconds(m.Backup.backup_timestamp),
        deleted=sa.case((m.Backup.deleted, 1), else_=0)))
    assert db_api.read_documents(ctx, statement, {}) == [{
        'name': awkward, 'size': 1.25, 'description': None,
        'stamp': '2026-03-04T05:06:07', 'deleted': 0}]
