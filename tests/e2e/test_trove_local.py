"""trove-local as the README uses it: up, demo, status, down.

A system of its own (state dir, RabbitMQ vhost, address pool) so that
``down`` can be shown to stop everything without touching the session's
shared system.
"""

import glob
import os
import re
import subprocess

import pymysql
import pytest

from tests.e2e import system as e2e
from tests.helpers.processes import wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e

MYSQL_COMMAND = re.compile(
    r'mysql -h (?P<host>\S+) -P 3306 -u (?P<user>\S+) -p(?P<password>\S+) '
    r'(?P<database>\S+)')


@pytest.fixture
def local_system():
    with e2e.temporary_system('trove-e2e-local-') as system:
        yield system


def _status(state_dir):
    return subprocess.run(
        [os.path.join(e2e.VENV_BIN, 'trove-local'), 'status',
         '--state-dir', state_dir],
        capture_output=True, text=True, timeout=60)


def _running_pids(status_output):
    return [int(pid) for pid in re.findall(r'running \(pid (\d+)\)',
                                           status_output)]


def _instance_pids(state_dir):
    pid_files = glob.glob(os.path.join(state_dir, 'instances', '*', 'run',
                                       '*.pid'))
    return [pid for pid in map(daemon.read_pid, pid_files)
            if pid and daemon.pid_alive(pid)]


def test_up_demo_status_down(local_system):
    state_dir = local_system.state_dir
    local_system.up()

    printed = local_system._trove_local('demo', '--state-dir', state_dir)
    login = MYSQL_COMMAND.search(printed)
    assert login, printed
    # The printed command's credentials work against the real engine.
    with pymysql.connect(host=login['host'], port=3306, user=login['user'],
                         password=login['password'],
                         database=login['database'],
                         connect_timeout=10) as connection:
        with connection.cursor() as cursor:
            cursor.execute('SELECT DATABASE(), CURRENT_USER()')
            database, user = cursor.fetchone()
    assert database == login['database']
    assert user.startswith(login['user'] + '@')

    # demo is idempotent: a second run finds the same instance.
    instance_id = re.search(r'demo instance (\S+);', printed).group(1)
    again = local_system._trove_local('demo', '--state-dir', state_dir)
    assert 'Found demo instance %s;' % instance_id in again

    status = _status(state_dir)
    assert status.returncode == 0, status.stdout + status.stderr
    for service in ('trove-api', 'trove-taskmanager', 'trove-conductor'):
        assert re.search(r'%s\s+running \(pid \d+\)' % service,
                         status.stdout), status.stdout
    pids = _running_pids(status.stdout) + _instance_pids(state_dir)
    assert len(pids) >= 5, pids   # 3 services + agent + engine

    local_system.down()
    wait_until(lambda: not any(daemon.pid_alive(p) for p in pids),
               timeout=30, message='processes outlived trove-local down')
    stopped = _status(state_dir)
    assert stopped.returncode == 3
    assert 'running' not in stopped.stdout
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host=login['host'], port=3306, user=login['user'],
                        password=login['password'], connect_timeout=5)
