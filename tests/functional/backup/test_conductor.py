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


def _events(world, instance_id, kind):
    from trove.records import events
    return [row.message for row in events.list_page(
        world.context, instance_id, 100) if row.kind == kind][::-1]


def test_a_backups_percent_logs_one_event_per_quarter(world):
    import json

    from tests.functional.backup.conftest import BASE, ok
    conductor = conductor_manager.Manager()
    instance_id = world.instance()
    backup_id = world.backup(instance_id, state='BUILDING')
    sent = time.time()
    for percent in (3, 10, 26, 30, 49, 52, 80, 99):
        sent += 1
        conductor.update_backup(
            world.context, instance_id, backup_id, sent=sent,
            progress=json.dumps({'bytes_written': percent * 100000,
                                 'elapsed_s': percent, 'percent': percent,
                                 'total_bytes': 40000000,
                                 'eta_s': 100 - percent}))
    shown = ok(world.api.get('%s/backups/%s' % (BASE, backup_id)))['backup']
    assert (shown['progress']['percent'], shown['progress']['eta_s']) == (
        99, 1)
    logged = _events(world, instance_id, 'progress')
    assert [m.split(' is ')[1].split('%')[0] for m in logged] == [
        '25', '50', '75']
    assert logged[0].endswith('is 25% done (2.6 MB written, about 74 s '
                              'left).')
    conductor.update_backup(world.context, instance_id, backup_id,
                            sent=sent + 1, state='COMPLETED',
                            progress=json.dumps({'bytes_written': 99000,
                                                 'percent': 100}))
    assert len(_events(world, instance_id, 'progress')) == 3


def test_a_restores_progress_shows_in_the_instance_and_its_log(world):
    from tests.functional.backup.conftest import BASE, ok
    from trove.records import work_claims
    conductor = conductor_manager.Manager()
    instance_id = world.instance()
    # No work due: nothing to show it in, nothing logged.
    conductor.heartbeat(world.context, instance_id, {'progress': {
        'backup_id': 'b1', 'bytes_written': 5}}, sent=time.time())
    work_claims.submit_now(world.context, instance_id, 'instance', 'create')

    def report(written, total=1000):
        fields = {'backup_id': 'b1', 'bytes_written': written,
                  'elapsed_s': 1.0}
        if total:
            fields.update(total_bytes=total, percent=written * 100 // total)
        conductor.heartbeat(world.context, instance_id,
                            {'progress': fields}, sent=time.time())
        return ok(world.api.get('%s/instances/%s' % (BASE, instance_id)))[
            'instance']['progress']

    assert report(100)['restore']['bytes_written'] == 100
    assert report(300)['restore']['percent'] == 30
    assert report(200)['restore']['bytes_written'] == 300   # late: ignored
    shown = report(800)
    assert (shown['operation'], shown['restore']['percent']) == ('create',
                                                                 80)
    logged = _events(world, instance_id, 'progress')
    assert logged == [
        'The restore of backup b1 is 25% done (0.0 MB written of about '
        '0.0 MB).',
        'The restore of backup b1 is 75% done (0.0 MB written of about '
        '0.0 MB).']
