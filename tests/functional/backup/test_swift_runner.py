"""trove-local's backup storage: a directory by default; with --swift a
real one-node Swift under the state dir, stopped by its pids."""

import shutil

import pytest
import swiftclient

from tests.helpers.identity import world_readable_temp_dir
from tests.helpers.processes import wait_until
from trove.common import daemon
from trove.localenv import swift_runner

pytestmark = pytest.mark.functional


def test_default_is_a_directory_under_the_state_dir(tmp_path):
    options = dict(((group, name), value) for group, name, value in
                   swift_runner.local_storage_options(str(tmp_path)))
    assert options[('DEFAULT', 'storage_strategy')] == 'local'
    assert options[('DEFAULT', 'backup_local_dir')] == \
        str(tmp_path / 'backups')
    assert swift_runner.stop(str(tmp_path)) == []


def test_swift_starts_once_serves_the_backup_account_and_stops():
    state_dir = world_readable_temp_dir('trove-local-swift-')
    try:
        options = swift_runner.start(state_dir)
        settings = {(group, name): value for group, name, value in options}
        assert settings[('DEFAULT', 'storage_strategy')] == 'swift'
        pids = swift_runner.running_pids(state_dir)
        assert len(pids) == 5       # memcached, 3 storage servers, proxy
        connection = swiftclient.Connection(
            authurl=settings[('backup_swift', 'auth_url')],
            user=settings[('backup_swift', 'user')],
            key=settings[('backup_swift', 'key')], auth_version='1',
            retries=0)
        connection.put_container('database_backups')
        # A second "up" finds it running: same port, same processes.
        again = dict(((g, n), v) for g, n, v in
                     swift_runner.start(state_dir))
        assert again[('backup_swift', 'auth_url')] == \
            settings[('backup_swift', 'auth_url')]
        assert swift_runner.running_pids(state_dir) == pids

        assert sorted(swift_runner.stop(state_dir)) == sorted(pids)
        wait_until(lambda: not any(daemon.pid_alive(p) for p in pids),
                   timeout=30)
        assert swift_runner.running_pids(state_dir) == []
    finally:
        swift_runner.stop(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)
