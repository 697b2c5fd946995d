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
