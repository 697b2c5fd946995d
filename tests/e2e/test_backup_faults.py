"""Backups that go wrong, end to end on the default trove-local (local
storage): a guest agent killed in the middle of a backup leaves it FAILED
with a reason (never NEW/BUILDING forever), a running backup makes its
instance show BACKUP and refuse actions and deletion (422), and a changed
or deleted backup file refuses the restore (409/404) before anything is
built.
"""

import os
import signal

import pytest
from troveclient import exceptions

from tests.e2e import system as e2e
from tests.e2e.test_backup_restore import (assert_restore_refused,
                                           create_instance, execute,
                                           local_path, wait_backup)
from tests.helpers.processes import wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e

DATASTORE = 'mariadb'
# About 150 MB of incompressible rows: the backup takes seconds, long
# enough to see it BUILDING and kill its agent.
BIG_ROWS = 150000


def guest_pid(system, instance_id):
    return daemon.read_pid(os.path.join(system.instance_dir(instance_id),
                                        'run', 'guest.pid'))


@pytest.fixture
def instance(trove, trove_system):
    created = create_instance(trove, DATASTORE, 'bk-fault')
    yield e2e.wait_for_instance(trove, created.id, system=trove_system)
    trove.instances.delete(created.id)
    e2e.wait_for_deleted(trove, created.id)


def test_guest_killed_during_backup_leaves_it_failed(trove, trove_system,
                                                      instance):
    execute(DATASTORE, instance.ip[0],
            'CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, b BLOB)',
            'INSERT INTO big (b) SELECT RANDOM_BYTES(1024) '
            'FROM seq_1_to_%d' % BIG_ROWS)
    backup = trove.backups.create('doomed', instance.id,
                                  description='nightly')
    backup = wait_until(
        lambda: (lambda b: b if b.status != 'NEW' else None)(
            trove.backups.get(backup.id)), timeout=60,
        message='the backup never started')
    assert backup.status == 'BUILDING', backup.description

    # While it runs, the instance shows BACKUP and refuses other actions,
    # and the running backup cannot be deleted.
    assert trove.instances.get(instance.id).status == 'BACKUP'
    with pytest.raises(exceptions.UnprocessableEntity):
        trove.instances.restart(instance.id)
    with pytest.raises(exceptions.UnprocessableEntity):
        trove.backups.delete(backup.id)

    os.kill(guest_pid(trove_system, instance.id), signal.SIGKILL)
    # Heartbeat expiry (8 s here) plus one periodic check (2 s).
    failed = wait_backup(trove, backup.id, statuses=('FAILED',),
                         system=trove_system, timeout=90)
    assert failed.description.startswith('nightly | Backup failed: ')
    assert 'stopped reporting' in failed.description
    assert trove.instances.get(instance.id).status != 'BACKUP'
    # An ended (failed) backup can be deleted.
    trove.backups.delete(backup.id)
    with pytest.raises(exceptions.NotFound):
        trove.backups.get(backup.id)


def test_local_restore_refuses_changed_or_missing_file(trove, trove_system,
                                                       instance):
    execute(DATASTORE, instance.ip[0],
            'CREATE TABLE kept (id INT PRIMARY KEY)',
            'INSERT INTO kept VALUES (1)')
    full = wait_backup(trove, trove.backups.create('f', instance.id).id,
                       system=trove_system)
    path = local_path(full.locationRef)
    with open(path, 'r+b') as stored:
        stored.seek(os.path.getsize(path) // 2)
        stored.write(b'corrupted!')
    assert_restore_refused(trove, DATASTORE, full.id, 409)

    os.unlink(path)
    assert_restore_refused(trove, DATASTORE, full.id, 404)


def test_unknown_instance_or_backup_is_404(trove):
    with pytest.raises(exceptions.NotFound):
        trove.backups.create('x', '00000000-0000-0000-0000-000000000000')
    with pytest.raises(exceptions.NotFound):
        trove.backups.get('00000000-0000-0000-0000-000000000000')
