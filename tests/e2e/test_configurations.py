"""Configuration groups end to end, on MariaDB and PostgreSQL instances.

Every service is its own process (trove-local) and the instances run real
engines; the test drives python-troveclient and the ``trove`` CLI and
checks each engine over SQL at the instance's own address:

* invalid values are refused with 422 naming the parameter;
* a group attached at create time is in effect once the instance is up;
* attaching makes a dynamic parameter live at once;
* a restart-only parameter shows RESTART_REQUIRED and takes effect after
  the restart;
* PATCH changes the live value on every attached instance before it
  answers, and a restart-only value is in place for a restart sent right
  after it;
* an instance whose agent does not answer does not hold a PATCH up: it
  gets a fault, and its next restart applies the group;
* detaching brings back the default (the instance's default
  configuration, as ``trove configuration-default`` shows it);
* a group in use cannot be deleted;
* a value within the rules that keeps the engine from starting leaves the
  instance running its last working configuration, with a fault naming
  the parameter.
"""

import json
import os
import signal
import time

import psycopg
import pymysql
import pytest
from troveclient import exceptions

from tests.e2e import system as e2e
from tests.e2e.conftest import run_cli
from tests.helpers.processes import wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e

USER, PASSWORD = 'appuser', 'app-pass-1'
# configuration_apply_timeout of the e2e system (tests/e2e/system.py).
APPLY_TIMEOUT = 15


def mariadb_value(address, name):
    with pymysql.connect(host=address, port=3306, user=USER,
                         password=PASSWORD, connect_timeout=10) as db:
        with db.cursor() as cursor:
            cursor.execute('SELECT @@GLOBAL.%s' % name)
            return cursor.fetchone()[0]


def postgresql_value(address, name):
    with psycopg.connect(host=address, port=5432, user=USER,
                         password=PASSWORD, dbname='appdb',
                         connect_timeout=10) as db:
        return db.execute('SELECT current_setting(%s)', (name,)).fetchone()[0]


def memory_bytes():
    total = 0
    with open('/proc/meminfo') as meminfo:
        for line in meminfo:
            if line.startswith(('MemTotal:', 'SwapTotal:')):
                total += int(line.split()[1]) * 1024
    return total


# What each engine is checked with: a dynamic parameter and two values of
# it, a restart-only one, how the engine shows each value, an invalid
# value, and a restart-only value larger than the machine.
ENGINES = {
    'mariadb': {
        'version': '10.11', 'read': mariadb_value,
        'dynamic': 'max_connections', 'values': (333, 444),
        'shown': lambda value: value,
        'static': 'back_log', 'static_value': 123,
        'invalid': {'max_connections': 'many'},
        'fatal': lambda: ('thread_stack', memory_bytes() * 2 // 1024 * 1024),
    },
    'postgresql': {
        'version': '15', 'read': postgresql_value,
        'dynamic': 'work_mem', 'values': (12345, 23456),
        'shown': lambda value: '%dkB' % value,
        'static': 'max_connections', 'static_value': 77,
        'invalid': {'work_mem': 1},
        'fatal': lambda: ('shared_buffers',
                          min(memory_bytes() * 2 // 8192, 1073741823)),
    },
}


def _create_instance(trove, datastore, name, configuration=None):
    return trove.instances.create(
        name, flavor_id='1', volume={'size': 1}, datastore=datastore,
        datastore_version=ENGINES[datastore]['version'],
        databases=[{'name': 'appdb'}],
        users=[{'name': USER, 'password': PASSWORD,
                'databases': [{'name': 'appdb'}]}],
        configuration=configuration)


def _status(trove, instance_id):
    return trove.instances.get(instance_id).status


@pytest.mark.parametrize('datastore', ['mariadb', 'postgresql'])
def test_configuration_groups(trove, trove_system, cli_env, datastore):
    engine = ENGINES[datastore]
    dynamic, static = engine['dynamic'], engine['static']
    first, second = engine['values']

    # Invalid values never make a group.
    with pytest.raises(exceptions.ClientException) as refused:
        trove.configurations.create(
            'bad', json.dumps(engine['invalid']), datastore=datastore,
            datastore_version=engine['version'])
    assert refused.value.http_status == 422
    assert list(engine['invalid'])[0] in str(refused.value)

    group = trove.configurations.create(
        'grp-' + datastore, json.dumps({dynamic: first}),
        datastore=datastore, datastore_version=engine['version'])
    with_group = _create_instance(trove, datastore, 'cfg-a-' + datastore,
                                  configuration=group.id)
    plain = _create_instance(trove, datastore, 'cfg-b-' + datastore)
    ids = [with_group.id, plain.id]
    try:
        a = e2e.wait_for_instance(trove, with_group.id, system=trove_system)
        b = e2e.wait_for_instance(trove, plain.id, system=trove_system)
        address_a, address_b = a.ip[0], b.ip[0]
        # Attached at create time: in effect from the first start.
        assert a.configuration['id'] == group.id
        assert str(engine['read'](address_a, dynamic)) == str(
            engine['shown'](first))

        # Attach: the dynamic value is live as soon as the call returns.
        default = trove.instances.configuration(plain.id).configuration
        trove.instances.update(plain.id, configuration=group.id)
        assert str(engine['read'](address_b, dynamic)) == str(
            engine['shown'](first))
        assert _status(trove, plain.id) == 'ACTIVE'
        assert trove.instances.get(plain.id).configuration['id'] == group.id
        assert sorted(i.id for i in trove.configurations.instances(
            group.id)) == sorted(ids)
        assert trove.configurations.get(group.id).instance_count == 2

        # PATCH changes the live value on every attached instance before
        # it answers.
        trove.configurations.edit(group.id, json.dumps({dynamic: second}))
        for address in (address_a, address_b):
            assert str(engine['read'](address, dynamic)) == str(
                engine['shown'](second))

        # A restart-only parameter: written before PATCH answers, the
        # instances RESTART_REQUIRED at once; a restart sent right away
        # brings the engine back with the new value.
        before = engine['read'](address_a, static)
        trove.configurations.edit(group.id, json.dumps(
            {static: engine['static_value']}))
        for instance_id in ids:
            assert _status(trove, instance_id) == 'RESTART_REQUIRED'
        assert engine['read'](address_a, static) == before
        trove.instances.restart(with_group.id)
        restarted = e2e.wait_for_instance(trove, with_group.id,
                                          system=trove_system)
        assert restarted.operating_status == 'HEALTHY'
        assert str(engine['read'](address_a, static)) == str(
            engine['static_value'])
        assert _status(trove, plain.id) == 'RESTART_REQUIRED'

        # An instance whose agent does not answer does not hold a PATCH
        # up: the others have the value when it answers, the silent one
        # gets a fault, and its next restart applies the group.
        _patch_with_a_silent_agent(trove, trove_system, engine, group,
                                   with_group.id, address_b, first)
        trove.instances.restart(with_group.id)
        e2e.wait_for_instance(trove, with_group.id, system=trove_system)
        assert str(engine['read'](address_a, dynamic)) == str(
            engine['shown'](first))
        assert str(engine['read'](address_a, static)) == str(
            engine['static_value'])

        # A group in use is not deleted.
        with pytest.raises(exceptions.BadRequest):
            trove.configurations.delete(group.id)

        # Detach: the default comes back (what configuration-default
        # shows), and the restart pending for the group is gone.
        trove.instances.update(plain.id, remove_configuration=True)
        assert str(engine['read'](address_b, dynamic)) == str(
            default[dynamic])
        assert _status(trove, plain.id) == 'ACTIVE'
        shown = json.loads(_ok(run_cli(cli_env, 'trove', '--json',
                                       'configuration-default', plain.id)))
        assert shown[dynamic] == default[dynamic]

        trove.instances.modify(with_group.id)   # {"instance": {}}
        assert str(engine['read'](address_a, dynamic)) == str(
            default[dynamic])
        assert trove.configurations.get(group.id).instance_count == 0
        trove.configurations.delete(group.id)
    finally:
        for instance_id in ids:
            trove.instances.delete(instance_id)
        for instance_id in ids:
            e2e.wait_for_deleted(trove, instance_id)


def _patch_with_a_silent_agent(trove, trove_system, engine, group,
                               silent_id, answering_address, value):
    """PATCH ``group`` to ``value`` while the agent of ``silent_id`` is
    paused: 200 within configuration_apply_timeout, the value live where
    the agent answers, a fault that says what to do on the silent one."""
    pid = daemon.read_pid(os.path.join(
        trove_system.instance_dir(silent_id), 'run', 'guest.pid'))
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        trove.configurations.edit(group.id, json.dumps(
            {engine['dynamic']: value}))
        elapsed = time.monotonic() - started
        assert str(engine['read'](answering_address, engine['dynamic'])) \
            == str(engine['shown'](value))
    finally:
        os.kill(pid, signal.SIGCONT)
    assert elapsed < APPLY_TIMEOUT + 10, elapsed
    # Silent past the heartbeat expiry, the engine showed ERROR; the
    # agent's next heartbeat makes it HEALTHY again.
    wait_until(lambda: trove.instances.get(silent_id).operating_status ==
               'HEALTHY', timeout=60,
               message='the resumed agent did not report')
    fault = trove.instances.get(silent_id).fault
    assert 'configuration group %s was not applied' % group.id in \
        fault['message'], fault
    assert 'Restarting the instance applies it' in fault['message']


@pytest.mark.parametrize('datastore', ['mariadb', 'postgresql'])
def test_a_value_that_prevents_start_does_not_brick(trove, trove_system,
                                                    datastore):
    engine = ENGINES[datastore]
    name, value = engine['fatal']()
    created = _create_instance(trove, datastore, 'cfg-brick-' + datastore)
    try:
        instance = e2e.wait_for_instance(trove, created.id,
                                         system=trove_system)
        address = instance.ip[0]
        before = engine['read'](address, name)
        group = trove.configurations.create(
            'fatal-' + datastore, json.dumps({name: value}),
            datastore=datastore, datastore_version=engine['version'])
        trove.instances.update(created.id, configuration=group.id)
        assert _status(trove, created.id) == 'RESTART_REQUIRED'

        trove.instances.restart(created.id)
        instance = e2e.wait_for_instance(trove, created.id,
                                         system=trove_system)
        faulted = wait_until(
            lambda: getattr(trove.instances.get(created.id), 'fault', None),
            timeout=60, message='no fault was reported')
        assert '%s=%s' % (name, value) in faulted['message']
        assert instance.operating_status == 'HEALTHY'
        # The event log names the parameter too, after the restart began.
        _response, logged = trove.client.get(
            '/instances/%s/events' % created.id)
        kinds = [(e['kind'], e['message']) for e in logged['events']]
        rolled_back = [i for i, (kind, message) in enumerate(kinds)
                       if kind == 'fault' and '%s=%s' % (name, value)
                       in message]
        restarted = [i for i, (kind, message) in enumerate(kinds)
                     if kind == 'task_start' and 'restart' in message]
        assert rolled_back and restarted and rolled_back[0] < restarted[0], \
            kinds
        # The engine runs, as before, and answers.
        assert engine['read'](address, name) == before
    finally:
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
