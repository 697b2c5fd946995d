"""A real trove-guestagent running MariaDB on its own loopback address."""

import os
import signal

import pymysql
import pytest

from tests.functional.guestagent import utils
from tests.helpers import processes
from trove.common import daemon
from trove.common import engines

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(engines.find_mariadb() is None,
                       reason='MariaDB is not installed'),
]

APP_USER = {'_name': 'app', '_host': '%', '_password': 'app-Secret-42',
            '_databases': [{'_name': 'appdb'}]}
APP_DB = {'_name': 'appdb', '_character_set': 'utf8mb4',
          '_collate': 'utf8mb4_general_ci'}


def connect_as_app(instance):
    return pymysql.connect(host=instance.address, port=3306, user='app',
                           password=APP_USER['_password'], database='appdb',
                           connect_timeout=5, autocommit=True)


@pytest.fixture
def instance(world_tmp_dir, conductor):
    guest = utils.GuestInstance(world_tmp_dir, 'mariadb', conductor)
    guest.create_records()
    yield guest
    guest.cleanup()


def test_lifecycle(instance):
    # prepare is cast before the agent exists: the queue keeps it.
    instance.prepare(utils.render_config('mariadb'), databases=[APP_DB],
                     users=[APP_USER])
    instance.start_agent()
    instance.wait_status('healthy')
    assert (instance.run / '.guestagent.prepare.end').exists()
    password_file = instance.run / 'os_admin.password'
    assert oct(password_file.stat().st_mode & 0o777) == '0o600'

    # The user created in prepare logs in over TCP and sees its database.
    with connect_as_app(instance) as connection:
        with connection.cursor() as cursor:
            cursor.execute('SHOW DATABASES')
            assert 'appdb' in {row[0] for row in cursor.fetchall()}
            cursor.execute('CREATE TABLE notes (id INT PRIMARY KEY, '
                           'body VARCHAR(40))')
            cursor.execute("INSERT INTO notes VALUES (1, 'before restart')")
            cursor.execute('SELECT @@port, @@bind_address')
            assert cursor.fetchone() == (3306, instance.address)
            # Temporary files stay in the instance's own directory: in a
            # shared /tmp, engines starting together delete each other's.
            cursor.execute('SELECT @@tmpdir')
            assert cursor.fetchone()[0].startswith(str(instance.dir) + '/')
    # Nobody logs in as root or anonymously from the network.
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host=instance.address, port=3306, user='root',
                        connect_timeout=5)

    api = instance.api()
    stats = api.get_volume_info()
    assert stats['total'] == 2.0
    assert 0 < stats['used'] < 2.0
    assert stats['free'] > 0 and stats['block_size'] == 4096
    assert api.resize_fs()['total'] == 2.0
    assert api.rpc_ping() is True
    assert api.get_hwinfo()['num_cpus'] >= 1
    assert api.get_diagnostics()['threads'] >= 1

    # reset_configuration only rewrites the base config (used after a
    # later restart); the running engine is left alone.
    running_pid = instance.engine_pid()
    api.reset_configuration(
        {'config_contents': utils.render_config('mariadb', 1024)})
    base = (instance.run / 'etc' / 'base.cnf').read_text()
    assert 'innodb_buffer_pool_size = 512M' in base
    assert instance.engine_pid() == running_pid

    # restart keeps the data.
    old_pid = instance.engine_pid()
    api.restart()
    instance.wait_status('healthy')
    assert instance.engine_pid() != old_pid
    with connect_as_app(instance) as connection:
        with connection.cursor() as cursor:
            cursor.execute('SELECT body FROM notes WHERE id = 1')
            assert cursor.fetchone() == ('before restart',)
            cursor.execute('SELECT @@innodb_buffer_pool_size')
            assert cursor.fetchone() == (512 * 1024 * 1024,)

    # The engine outlives a killed agent; a new agent finds it and
    # reports again without preparing anything.
    engine_pid = instance.engine_pid()
    prepared_at = os.stat(instance.run / '.guestagent.prepare.end').st_mtime
    instance.kill_agent()
    assert daemon.pid_alive(engine_pid)
    instance.start_agent_and_wait_for_its_report()
    instance.wait_status('healthy')
    assert instance.engine_pid() == engine_pid
    assert os.stat(instance.run /
                   '.guestagent.prepare.end').st_mtime == prepared_at

    # An engine that dies by itself is reported crashed; the next agent
    # start (a server reboot) brings it back.
    os.kill(engine_pid, signal.SIGKILL)
    instance.wait_status('crashed')
    instance.kill_agent()
    instance.start_agent()
    instance.wait_status('healthy')
    engine_pid = instance.engine_pid()
    with connect_as_app(instance) as connection:
        with connection.cursor() as cursor:
            cursor.execute('SELECT COUNT(*) FROM notes')
            assert cursor.fetchone() == (1,)

    # stop_db: a clean stop, reported as shutdown.
    api.stop_db()
    assert not daemon.pid_alive(engine_pid)
    instance.wait_status('shutdown')

    # A clean agent exit removes its ready file.
    instance.agent.process.send_signal(signal.SIGTERM)
    instance.agent.process.wait(timeout=30)
    assert not instance.ready_file.exists()


def test_bad_config_fails_prepare(instance):
    config = utils.render_config('mariadb') + '\nbogus_setting_xyz = 1\n'
    instance.prepare(config)
    instance.start_agent()
    instance.wait_status('failed to spawn')
    message, details = processes.wait_until(instance.fault, timeout=30)
    assert 'bogus_setting_xyz' in message, message
    assert details
    # The agent stays up for the control plane.
    assert instance.agent.alive()
    assert instance.api().rpc_ping() is True
