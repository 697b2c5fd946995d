"""The conductor's ``update_backup`` on a real control database: what a
guest may set, in order, and that an ended backup stays as it ended."""

import time

import pytest

from trove.conductor import manager as conductor_manager

pytestmark = pytest.mark.functional


def test_guest_reports_move_a_backup_forward_only(world):
    conductor = conductor_manager.Manager()
    instance_id = world.instance()
    backup_id = world.backup(instance_id, state='NEW')
    sent = time.time()

    def report(**fields):
        nonlocal sent
        sent += 1
        conductor.update_backup(world.context, instance_id, backup_id,
                                sent=sent, **fields)

    report(state='BUILDING', size=0.5, backup_type='full', success=True)
    row = world.row(backup_id)
    assert (row.state, row.size, row.backup_type) == ('BUILDING', 0.5,
                                                      'full')
    report(state='COMPLETED', checksum='c' * 32, location='file:///b',
           id='forged', tenant_id='forged')
    row = world.row(backup_id)
    assert (row.state, row.checksum, row.location, row.id,
            row.tenant_id) == ('COMPLETED', 'c' * 32, 'file:///b',
                               backup_id, 'backup-project')
    # A late report (a restarted guest, a replayed message) changes
    # nothing once the backup ended.
    report(state='FAILED', description='Backup failed: late')
    row = world.row(backup_id)
    assert (row.state, row.description) == ('COMPLETED', None)
    # Another instance's guest cannot touch it.
    conductor.update_backup(world.context, world.instance(), backup_id,
                            sent=sent + 10, state='FAILED')
    assert world.row(backup_id).state == 'COMPLETED'


def test_a_failure_reason_comes_in_the_description(world):
    conductor = conductor_manager.Manager()
    instance_id = world.instance()
    backup_id = world.backup(instance_id, state='BUILDING')
    conductor.update_backup(world.context, instance_id, backup_id,
                            sent=time.time(), state='FAILED',
                            description='d | Backup failed: disk full')
    row = world.row(backup_id)
    assert (row.state, row.description) == ('FAILED',
                                            'd | Backup failed: disk full')


def test_progress_reports_show_in_the_backup_until_it_ends(world):
    """What the guest's ProgressReader casts, through the conductor, in
    ``GET /backups/{id}``."""
    import io

    from tests.functional.backup.conftest import BASE, ok
    from trove.guestagent.backup import runner

    conductor = conductor_manager.Manager()
    instance_id = world.instance()
    backup_id = world.backup(instance_id, state='BUILDING')
    stamps = iter(range(1000))
    ticks = iter(range(0, 1000, 3))
    shown = []

    def report(**fields):
        conductor.update_backup(world.context, instance_id, backup_id,
                                sent=time.time() + next(stamps), **fields)
        shown.append(ok(world.api.get('%s/backups/%s' % (BASE, backup_id)))[
            'backup']['progress'])

    reader = runner.ProgressReader(io.BytesIO(b'x' * 10000), report,
                                   interval=2, clock=lambda: next(ticks))
    while reader.read(3000):
        pass
    written = [progress['bytes_written'] for progress in shown]
    assert written == [3000, 6000, 9000, 10000]
    assert [p['elapsed_s'] for p in shown] == [3, 6, 9, 12]
    report(state='COMPLETED', progress='{"bytes_written": 10000}')
    report(progress='{"bytes_written": 1}')     # late: ignored
    assert shown[-1] == {'bytes_written': 10000}
