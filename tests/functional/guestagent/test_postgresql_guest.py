"""A real trove-guestagent running PostgreSQL on its own loopback address."""

import os
import signal

import psycopg
import pytest

from tests.functional.guestagent import utils
from tests.helpers import processes
from trove.common import daemon
from trove.common import engines

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(engines.find_postgresql() is None,
                       reason='PostgreSQL is not installed'),
]

APP_USER = {'_name': 'app', '_host': '%', '_password': 'app-Secret-42',
            '_databases': [{'_name': 'appdb'}]}
APP_DB = {'_name': 'appdb', '_character_set': None, '_collate': None}


def connect_as_app(instance):
    return psycopg.connect(host=instance.address, port=5432, user='app',
                           password=APP_USER['_password'], dbname='appdb',
                           connect_timeout=5, autocommit=True)


@pytest.fixture
def instance(world_tmp_dir, conductor):
    guest = utils.GuestInstance(world_tmp_dir, 'postgresql', conductor)
    guest.create_records()
    yield guest
    guest.cleanup()


def test_lifecycle(instance):
    instance.prepare(utils.render_config('postgresql'), databases=[APP_DB],
                     users=[APP_USER], root_password='Root-Secret-42')
    instance.start_agent()
    instance.wait_status('healthy')
    assert (instance.volume / 'data' / 'pgdata' / 'PG_VERSION').exists()
    password_file = instance.run / 'os_admin.password'
    assert oct(password_file.stat().st_mode & 0o777) == '0o600'

    # The user created in prepare logs in over TCP and uses its database.
    with connect_as_app(instance) as connection:
        assert connection.execute('SELECT current_database()').fetchone() \
            == ('appdb',)
        connection.execute('CREATE TABLE notes (id int PRIMARY KEY, '
                           'body text)')
        connection.execute("INSERT INTO notes VALUES (1, 'before restart')")
        assert connection.execute('SHOW port').fetchone() == ('5432',)
    # root was enabled with the given password; a wrong one is refused.
    with psycopg.connect(host=instance.address, port=5432, user='root',
                         password='Root-Secret-42', dbname='postgres',
                         connect_timeout=5) as connection:
        assert connection.execute(
            'SELECT rolsuper FROM pg_roles WHERE rolname = current_user'
        ).fetchone() == (True,)
    # The agent reported it to the conductor: root history is recorded
    # (nothing else writes this control DB).
    history = processes.wait_until(instance.root_history, timeout=30)
    assert history[1] is not None
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host=instance.address, port=5432, user='os_admin',
                        password='guess', dbname='postgres',
                        connect_timeout=5)

    api = instance.api()
    stats = api.get_volume_info()
    assert stats['total'] == 2.0
    assert 0 < stats['used'] < 2.0
    assert stats['free'] > 0

    # restart keeps the data.
    old_pid = instance.engine_pid()
    api.restart()
    instance.wait_status('healthy')
    assert instance.engine_pid() != old_pid
    with connect_as_app(instance) as connection:
        assert connection.execute('SELECT body FROM notes').fetchall() == \
            [('before restart',)]

    # A flavor resize: the new base config takes effect at once.
    api.start_db_with_conf_changes(utils.render_config('postgresql', 1024),
                                   ds_version='15')
    instance.wait_status('healthy')
    with connect_as_app(instance) as connection:
        assert connection.execute('SHOW shared_buffers').fetchone() == \
            ('256MB',)
        assert connection.execute('SELECT count(*) FROM notes').fetchone() \
            == (1,)

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

    api.stop_db()
    assert not daemon.pid_alive(engine_pid)
    instance.wait_status('shutdown')

    instance.agent.process.send_signal(signal.SIGTERM)
    instance.agent.process.wait(timeout=30)
    assert not instance.ready_file.exists()


def test_bad_config_fails_prepare(instance):
    config = utils.render_config('postgresql') + '\nbogus_setting_xyz = 1\n'
    instance.prepare(config)
    instance.start_agent()
    instance.wait_status('failed to spawn')
    message, details = processes.wait_until(instance.fault, timeout=30)
    assert 'bogus_setting_xyz' in message, message
    assert details
    assert instance.agent.alive()
    assert instance.api().rpc_ping() is True
