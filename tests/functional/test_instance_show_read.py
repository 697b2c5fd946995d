"""Showing an instance reads it and what its view shows beside it
(whether it has archived logs, the point-in-time restore that made it,
the work due on it) in one SELECT, with the same results as the separate
reads (SQLite, MariaDB, PostgreSQL)."""

import datetime

import pytest
import sqlalchemy as sa

from bench import api_seed
from trove.common import context as trove_context
from trove.db import api as db_api
from trove.db import models as m
from trove.instance import models as instance_models
from trove.instance import pitr
from trove.instance import service
from trove.records import work_claims as claims

pytestmark = pytest.mark.functional

PROJECT = api_seed.PROJECT


@pytest.fixture
def seeded(control_db_url):
    shown = api_seed.seed(control_db_url, instances=6, backups=0,
                          configurations=1)['shown_instance']
    db_api.configure(control_db_url)
    yield shown
    db_api.configure()


def _separate_reads(context, instance_id):
    """What GET /instances/{id} read before, one statement each."""
    with db_api.reader(context) as session:
        restore = session.get(m.PitrRestore, instance_id)
        restored = pitr.restore_view_of(restore)
    return (pitr.window(context, instance_id), restored,
            service._progress_of(claims.current(context, instance_id)))


def _folded(context, instance_id):
    instance, shown = instance_models.load_shown(context, instance_id)
    assert instance.id == instance_id
    window = (pitr.window(context, instance_id) if shown.has_archives
              else pitr.window_of([], []))
    return (window, pitr.restore_view_of(shown.restore),
            service._progress_of(claims.Claim.from_row(shown.work)
                                 if shown.work is not None else None))


def _add_replicas_and_records(context, source_id):
    now = datetime.datetime(2026, 12, 5, 12)
    with db_api.writer(context) as session:
        source = session.get(m.Instance, source_id)
        for index, offset in enumerate((5, 1, 3)):
            session.add(m.Instance(
                id='00000000-0000-4000-8000-%012d' % index,
                name='replica-%d' % index, tenant_id=PROJECT,
                created=now + datetime.timedelta(minutes=offset),
                deleted=index == 2, slave_of_id=source_id,
                datastore_version_id=source.datastore_version_id))
        session.add(m.PitrRestore(
            instance_id=source_id, source_instance_id='other',
            backup_id='backup-1', target=1764936000.25, reached=None))
        session.add(m.PitrArchive(
            instance_id=source_id, kind='binlog', name='mysql-bin.000001',
            seq=1, location='file:///a', state='archived',
            opened_at=1764936000.0, closed_at=1764936100.0))
        session.add(m.Backup(
            id='backup-1', name='b', tenant_id=PROJECT, state='COMPLETED',
            instance_id=source_id, deleted=False,
            created=datetime.datetime(2026, 12, 5, 12, 0, 10),
            updated=datetime.datetime(2026, 12, 5, 12, 0, 20)))
    claims.submit_now(context, source_id, 'instance', 'restart')


def test_the_folded_read_shows_what_the_separate_reads_show(seeded):
    context = trove_context.TroveContext(project_id=PROJECT,
                                         overwrite=False)
    bare = _folded(context, seeded)
    assert bare == _separate_reads(context, seeded)
    assert bare == ({'earliest': None, 'latest': None, 'gaps': []},
                    None, None)
    _add_replicas_and_records(context, seeded)
    folded = _folded(context, seeded)
    assert folded == _separate_reads(context, seeded)
    window, restored, progress = folded
    assert instance_models.load_shown(context, seeded)[1].has_archives
    assert window == pitr.window(context, seeded)
    assert restored['backupRef'] == 'backup-1'
    assert progress['operation'] == 'restart'


# SQLite reads through the facade (no page engine), which adds its own.
@pytest.mark.parametrize('control_db_url', ['mysql', 'postgresql'],
                         indirect=True)
def test_the_folded_read_is_one_statement(seeded):
    context = trove_context.TroveContext(project_id=PROJECT,
                                         overwrite=False)
    _add_replicas_and_records(context, seeded)
    instance_models.load_shown(context, seeded)   # statements built
    seen = []

    def count(*_args):
        seen.append(1)
    sa.event.listen(sa.engine.Engine, 'before_cursor_execute', count)
    try:
        instance_models.load_shown(context, seeded)
    finally:
        sa.event.remove(sa.engine.Engine, 'before_cursor_execute', count)
    assert len(seen) == 1


def test_another_projects_instance_is_not_found(seeded):
    from trove.common import exception
    context = trove_context.TroveContext(project_id='someone-else',
                                         overwrite=False)
    with pytest.raises(exception.InstanceNotFound):
        instance_models.load_shown(context, seeded)
