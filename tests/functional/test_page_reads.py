"""List pages and single-object loads are read in one round trip to the
database server, see what was committed before them, and survive a
pooled connection that the server closed (SQLite, MariaDB, PostgreSQL)."""

import pytest
import sqlalchemy as sa

from trove.common import context as trove_context
from trove.db import api as db_api
from trove.db import models as m

pytestmark = pytest.mark.functional

NAMES = sa.select(m.Backup.name).order_by(m.Backup.name)
SESSION_COUNTERS = sa.text(
    "SHOW SESSION STATUS WHERE Variable_name IN ('Com_select', "
    "'Com_rollback', 'Com_commit', 'Com_admin_commands', 'Com_set_option')")


def _add_backup(ctx, name):
    with db_api.writer(ctx) as session:
        session.add(m.Backup(id=name, name=name, tenant_id='project',
                             state='COMPLETED'))


def _backend(url):
    return sa.engine.make_url(url).get_backend_name()


def _names(ctx):
    return [row['name'] for row in db_api.read_rows(ctx, NAMES, {})]


def test_a_page_sees_every_commit_before_it(db):
    """The same pooled connection reads page after page: none may keep
    the snapshot of an earlier one (REPEATABLE READ on MariaDB)."""
    ctx = trove_context.get_admin_context()
    _add_backup(ctx, 'first')
    assert _names(ctx) == ['first']
    _add_backup(ctx, 'second')
    assert _names(ctx) == ['first', 'second']
    with db_api.writer(ctx) as session:
        session.query(m.Backup).filter_by(id='first').delete()
    assert _names(ctx) == ['second']


def _loaded_name(ctx, backup_id):
    found = db_api.read_objects(ctx, lambda session: session.get(
        m.Backup, backup_id))
    return found.name if found is not None else None


def test_a_load_sees_every_commit_before_it(db):
    ctx = trove_context.get_admin_context()
    _add_backup(ctx, 'first')
    assert _loaded_name(ctx, 'first') == 'first'
    with db_api.writer(ctx) as session:
        session.query(m.Backup).filter_by(id='first').update(
            {'name': 'renamed'})
    assert _loaded_name(ctx, 'first') == 'renamed'
    with db_api.writer(ctx) as session:
        session.query(m.Backup).filter_by(id='first').delete()
    assert _loaded_name(ctx, 'first') is None


@pytest.mark.parametrize('read', [
    lambda ctx: _names(ctx) == ['one'],
    lambda ctx: _loaded_name(ctx, 'one') == 'one',
], ids=['page', 'load'])
def test_a_read_is_one_statement_and_nothing_else(db, control_db_url, read):
    """No ping before, no ROLLBACK after: the server counts, on the
    pooled connection's own session, one SELECT per page or load."""
    if _backend(control_db_url) != 'mysql':
        pytest.skip('session counters are read from MariaDB')
    ctx = trove_context.get_admin_context()
    _add_backup(ctx, 'one')

    def counters():
        return {row['Variable_name']: int(row['Value'])
                for row in db_api.read_rows(ctx, SESSION_COUNTERS, {})}

    before = counters()
    for _ in range(5):
        assert read(ctx)
    after = counters()
    assert {name: after[name] - before[name] for name in before} == {
        'Com_select': 5, 'Com_rollback': 0, 'Com_commit': 0,
        'Com_admin_commands': 0, 'Com_set_option': 0}


BACKEND_ID = {
    'mysql': ('SELECT CONNECTION_ID() AS id', 'KILL %d'),
    'postgresql': ('SELECT pg_backend_pid() AS id',
                   'SELECT pg_terminate_backend(%d)'),
}


def test_a_connection_the_server_closed_is_replaced(db, control_db_url):
    backend = _backend(control_db_url)
    if backend not in BACKEND_ID:
        pytest.skip('SQLite has no server to close connections')
    ctx = trove_context.get_admin_context()
    _add_backup(ctx, 'kept')
    query, kill = BACKEND_ID[backend]
    [pooled] = db_api.read_rows(ctx, sa.text(query), {})
    admin = sa.create_engine(control_db_url, isolation_level='AUTOCOMMIT')
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(kill % pooled['id']))
    finally:
        admin.dispose()
    assert _names(ctx) == ['kept']
    [replaced] = db_api.read_rows(ctx, sa.text(query), {})
    assert replaced['id'] != pooled['id']
