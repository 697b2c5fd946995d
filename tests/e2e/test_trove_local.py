"""trove-local as the README uses it: up, demo, status, down.

A system of its own (state dir, RabbitMQ vhost, address pool) so that
``down`` can be shown to stop everything without touching the session's
shared system.
"""

import glob
import ipaddress
import os
import re
import shutil
import subprocess
import tempfile

import pymysql
import pytest

from tests.e2e import system as e2e
from tests.helpers import ports
from tests.helpers.processes import wait_until
from trove.common import daemon
from trove.localenv import isolation

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


def _local(*args, env=None):
    return subprocess.run([os.path.join(e2e.VENV_BIN, 'trove-local')]
                          + list(args), capture_output=True, text=True,
                          timeout=240, env=env)


def _vhosts():
    listed = subprocess.run(['rabbitmqctl', '-q', 'list_vhosts',
                             '--no-table-headers', 'name'],
                            capture_output=True, text=True, timeout=60)
    return set(listed.stdout.split())


def test_two_deployments_on_one_machine_stay_apart(tmp_path):
    """No --transport-url and no --address-pool: each state directory is
    a deployment with its own vhost and loopback /16. A third ``up`` on a
    port that is taken fails, naming the port."""
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / 'xdg'))
    deployments = []
    records = []
    try:
        for name in ('one', 'two'):
            state_dir = tempfile.mkdtemp(prefix='trove-e2e-iso-%s-' % name)
            os.chmod(state_dir, 0o755)
            port = ports.free_port()
            deployments.append((state_dir, port))
            up = _local('up', '--state-dir', state_dir, '--api-port',
                        str(port), '--report-interval', '2',
                        '--set', 'usage_timeout=120', env=env)
            assert up.returncode == 0, up.stdout + up.stderr
        records = [isolation.load(state_dir) for state_dir, _ in deployments]
        assert records[0]['vhost'] != records[1]['vhost']
        assert records[0]['address_pool'] != records[1]['address_pool']
        assert {r['vhost'] for r in records} <= _vhosts()

        made = []
        for state_dir, port in deployments:
            client = _client(port, 'iso')
            made.append(client.instances.create(
                'iso', flavor_id='1', volume={'size': 1},
                datastore='mariadb').id)
        for (state_dir, port), instance_id in zip(deployments, made):
            client = _client(port, 'iso')
            e2e.wait_for_instance(client, instance_id, timeout=180)
            # Each sees its own instance only, at an address of its pool.
            assert [i.id for i in client.instances.list()] == [instance_id]
            address = ipaddress.ip_address(
                client.instances.get(instance_id).ip[0])
            assert address in ipaddress.ip_network(
                isolation.load(state_dir)['address_pool'])
        for state_dir, _ in deployments:
            log = ''.join(open(path).read() for path in glob.glob(
                os.path.join(state_dir, 'logs', 'trove-taskmanager*.log')))
            assert 'No create work is due' not in log
            assert 'was deleted while building' not in log

        # A third deployment on the first one's API port is refused.
        third = tempfile.mkdtemp(prefix='trove-e2e-iso-three-')
        deployments.append((third, None))
        busy = _local('up', '--state-dir', third, '--api-port',
                      str(deployments[0][1]), env=env)
        assert busy.returncode != 0
        assert 'port %d' % deployments[0][1] in busy.stderr
        assert 'already in use' in busy.stderr
    finally:
        for state_dir, _ in deployments:
            if os.path.exists(os.path.join(state_dir, 'trove.conf')):
                _local('down', '--state-dir', state_dir, env=env)
            shutil.rmtree(state_dir, ignore_errors=True)
    assert not ({r['vhost'] for r in records} & _vhosts())


def _client(port, project_id):
    from keystoneauth1 import noauth, session
    from troveclient.v1 import client as trove_client
    return trove_client.Client(session=session.Session(auth=noauth.NoAuth(
        endpoint='http://127.0.0.1:%d/v1.0/%s' % (port, project_id))))
