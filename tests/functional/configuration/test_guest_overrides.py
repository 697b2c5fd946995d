"""A real guest agent applies configuration groups to its real engine.

Each test drives one agent through the guest RPC contract the API and the
taskmanager use (prepare with overrides, update_overrides +
apply_overrides, restart) and checks the engine over SQL: dynamic values
are live at once, restart-only ones are reported and take effect at the
restart, a value the engine refuses changes nothing, removed parameters
go back to the base configuration, and a value that keeps the engine from
starting is replaced by the last working configuration with a fault.
"""

import pymysql
import psycopg
import pytest

from tests.functional.guestagent import utils
from trove.common import engines

pytestmark = pytest.mark.functional

ADMIN_PASSWORD_FILE = 'os_admin.password'


def memory_bytes():
    """RAM plus swap: an allocation larger than this cannot succeed."""
    total = 0
    with open('/proc/meminfo') as meminfo:
        for line in meminfo:
            if line.startswith(('MemTotal:', 'SwapTotal:')):
                total += int(line.split()[1]) * 1024
    return total


@pytest.fixture
def guest(world_tmp_dir, conductor, request):
    manager = request.param
    finder = engines.find_postgresql if manager == 'postgresql' else \
        engines.find_mariadb
    if finder() is None:
        pytest.skip('%s is not installed' % manager)
    instance = utils.GuestInstance(world_tmp_dir, manager, conductor)
    instance.create_records()
    yield instance
    instance.cleanup()


def prepare(instance, overrides):
    api = instance.api()
    api.declare_queue()
    api.prepare(memory_mb=512, packages=[], databases=[], users=[],
                device_path=str(instance.dir),
                mount_point=str(instance.volume),
                backup_info=None,
                config_contents=utils.render_config(instance.manager),
                root_password=None, overrides=overrides,
                cluster_config=None, snapshot=None, modules=None,
                ds_version=utils.VERSIONS[instance.manager])
    instance.start_agent()
    instance.wait_status('healthy')
    return api


def admin_password(instance):
    return (instance.run / ADMIN_PASSWORD_FILE).read_text().strip()


def mysql_globals(instance, *names):
    connection = pymysql.connect(
        unix_socket=str(instance.run / 'mysqld' / 'mysqld.sock'),
        user='os_admin', password=admin_password(instance),
        connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT %s' % ', '.join(
                '@@GLOBAL.%s' % name for name in names))
            return cursor.fetchone()
    finally:
        connection.close()


def pg_settings(instance, *names):
    """current_setting of each name, in a new session."""
    with psycopg.connect(host=str(instance.run / 'postgresql'), port=5432,
                         user='os_admin', password=admin_password(instance),
                         dbname='postgres', connect_timeout=5) as connection:
        return tuple(connection.execute(
            'SELECT current_setting(%s)', (name,)).fetchone()[0]
            for name in names)


def change(api, overrides):
    api.update_overrides(overrides, remove=not overrides)
    return api.apply_overrides(overrides)


def overrides_file(instance):
    suffix = 'conf' if instance.manager == 'postgresql' else 'cnf'
    path = instance.run / 'etc' / 'conf.d' / ('overrides.' + suffix)
    return path.read_text() if path.exists() else ''


@pytest.mark.parametrize('guest', ['mariadb'], indirect=True)
def test_mariadb_overrides(guest):
    # A group attached at create time is in effect from the first start.
    api = prepare(guest, {'wait_timeout': 1234})
    assert mysql_globals(guest, 'wait_timeout') == (1234,)

    # Dynamic values are live at once; back_log only at a restart.
    result = change(api, {'wait_timeout': 777, 'max_connections': 123,
                          'back_log': 150, 'local_infile': True,
                          'sql_mode': 'STRICT_ALL_TABLES,NO_ZERO_DATE'})
    assert result == {'restart_required': ['back_log'], 'rejected': {}}
    wait_timeout, connections, back_log, infile, sql_mode = mysql_globals(
        guest, 'wait_timeout', 'max_connections', 'back_log',
        'local_infile', 'sql_mode')
    assert (wait_timeout, connections, infile) == (777, 123, 1)
    assert back_log != 150
    assert set(sql_mode.split(',')) == {'STRICT_ALL_TABLES', 'NO_ZERO_DATE'}

    # A value the server refuses: nothing of the change stays.
    before = mysql_globals(guest, 'aria_checkpoint_interval')
    result = change(api, {'aria_checkpoint_interval': 45,
                          'sql_mode': 'NOT_A_MODE', 'wait_timeout': 777})
    assert list(result['rejected']) == ['sql_mode']
    assert 'NOT_A_MODE' in result['rejected']['sql_mode']
    assert mysql_globals(guest, 'aria_checkpoint_interval') == before
    assert 'back_log = 150' in overrides_file(guest)
    assert 'aria_checkpoint_interval' not in overrides_file(guest)

    # The restart brings back_log; nothing is pending afterwards.
    api.restart()
    assert mysql_globals(guest, 'back_log', 'wait_timeout') == (150, 777)
    current = {'wait_timeout': 777, 'max_connections': 123,
               'back_log': 150, 'local_infile': True,
               'sql_mode': 'STRICT_ALL_TABLES,NO_ZERO_DATE'}
    assert change(api, current)['restart_required'] == []

    # Detach: dynamic values go back to the base configuration (the
    # template sets max_connections) or the server's default.
    base = (guest.run / 'etc' / 'base.cnf').read_text()
    base_connections = int(base.split('max_connections = ')[1].split()[0])
    result = change(api, {})
    assert result == {'restart_required': ['back_log'], 'rejected': {}}
    assert mysql_globals(guest, 'wait_timeout', 'max_connections',
                         'local_infile') == (28800, base_connections, 0)
    assert overrides_file(guest) == ''

    # A restart-only value within the rules that keeps the server from
    # starting: the last working configuration comes back, with a fault.
    stack = memory_bytes() * 2 // 1024 * 1024
    result = change(api, {'thread_stack': stack})
    assert result['restart_required'] == ['back_log', 'thread_stack']
    api.restart()
    guest.wait_status('healthy')
    assert mysql_globals(guest, 'back_log', 'wait_timeout') == (150, 777)
    assert 'thread_stack' not in overrides_file(guest)
    message, _details = utils_fault(guest)
    assert 'thread_stack=%d' % stack in message
    assert 'last working configuration' in message


def utils_fault(instance):
    from tests.helpers import processes
    return processes.wait_until(instance.fault, timeout=30,
                                message='no fault was recorded')


@pytest.mark.parametrize('guest', ['postgresql'], indirect=True)
def test_postgresql_overrides(guest):
    api = prepare(guest, {'work_mem': 8192})
    assert pg_settings(guest, 'work_mem') == ('8MB',)

    result = change(api, {'work_mem': 16384, 'max_connections': 42,
                          'log_min_duration_statement': 250,
                          'DateStyle': 'German, DMY'})
    assert result == {'restart_required': ['max_connections'],
                      'rejected': {}}
    work_mem, connections, duration, datestyle = pg_settings(
        guest, 'work_mem', 'max_connections', 'log_min_duration_statement',
        'DateStyle')
    assert (work_mem, duration, datestyle) == ('16MB', '250ms',
                                               'German, DMY')
    assert connections != '42'

    # A value the server refuses: the previous file comes back.
    result = change(api, {'work_mem': 2048, 'log_min_messages': 'bogus'})
    assert list(result['rejected']) == ['log_min_messages']
    assert 'bogus' in result['rejected']['log_min_messages']
    assert pg_settings(guest, 'work_mem') == ('16MB',)
    assert 'max_connections = 42' in overrides_file(guest)

    api.restart()
    assert pg_settings(guest, 'max_connections', 'work_mem') == ('42',
                                                                 '16MB')
    current = {'work_mem': 16384, 'max_connections': 42,
               'log_min_duration_statement': 250, 'DateStyle': 'German, DMY'}
    assert change(api, current)['restart_required'] == []

    # Detach: back to the base configuration's work_mem (the template
    # sets it) and the default duration; max_connections at a restart.
    base = (guest.run / 'etc' / 'base.conf').read_text()
    base_work_mem = base.split('work_mem = ')[1].split()[0]
    result = change(api, {})
    assert result == {'restart_required': ['max_connections'],
                      'rejected': {}}
    assert pg_settings(guest, 'work_mem', 'log_min_duration_statement') == (
        base_work_mem, '-1')

    # shared_buffers (8kB pages) larger than the machine: the server
    # cannot start; the last working configuration runs again.
    pages = min(memory_bytes() * 2 // 8192, 1073741823)
    result = change(api, {'shared_buffers': pages})
    assert result['restart_required'] == ['max_connections',
                                          'shared_buffers']
    api.restart()
    guest.wait_status('healthy')
    assert pg_settings(guest, 'max_connections', 'work_mem') == ('42',
                                                                 '16MB')
    assert 'shared_buffers' not in overrides_file(guest)
    message, _details = utils_fault(guest)
    assert 'shared_buffers=%d' % pages in message
