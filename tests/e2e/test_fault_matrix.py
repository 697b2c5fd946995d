"""The fault matrix (issue 23).

Part one: faults of the control plane's own processes and of a guest
agent, on the default trove-local system (MariaDB and PostgreSQL
instances).

* the conductor stopped for a minute while a guest reports: its
  heartbeats and its backup's results wait in RabbitMQ and are applied in
  order when the conductor returns; the backup is not failed meanwhile
  (the agent answers a ping), a heartbeat older than the agent's queued
  ones is dropped (no status regression), the data is intact over SQL
  and the next backup works;
* a heartbeat stamped an hour ahead does not freeze the status;
* a guest agent paused (SIGSTOP) during a backup: the backup ends FAILED
  by its deadline with a reason, and after SIGCONT the next backup works.

* a guest agent paused during a configuration attach: the call ends by
  configuration_apply_timeout (504) with a fault saying the group was not
  attached and what to do; after SIGCONT the same attach works, on
  MariaDB and PostgreSQL.

(An agent paused during a PATCH of a group is
tests/e2e/test_configurations.py's ``_patch_with_a_silent_agent``; the
control database restarted under load is test_control_db_restart.py;
guest clock skew is tests/functional/test_conductor_heartbeats.py.)

Part two: a system of its own on a private RabbitMQ node (so the broker
can be restarted under it) with a 60 s build deadline, each case on
MariaDB and PostgreSQL:

* RabbitMQ restarted during a create, a backup and a flavor resize: each
  ends in its wanted state (a prepare lost with the broker's queues is
  sent again), heartbeats resume, data is intact over SQL and the next
  operation works;
* a guest agent paused during prepare: the create ends ERROR with a
  fault by its deadline, and a delete works;
* a backup into a full local backup store (a tiny tmpfs): FAILED saying
  the store is full, nothing kept, the next backup works once there is
  room;
* (MariaDB) a data volume filled past its declared size shows in
  ``volume.used`` and a volume resize brings it back under its size
  (local volumes are directories by default: their size is not
  enforced).

Part three, on a system whose volumes are fixed-size filesystems
(``[local] volume_backend = loop``), MariaDB and PostgreSQL: a filled volume shows in
``volume.used`` with a fault saying it is full, a backup fails saying
so, and a volume resize brings it back (writes and the next backup
work); no mount or loop device is left.
"""

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import time

import pytest
from troveclient import exceptions

from tests.e2e import system as e2e
from tests.e2e import test_configurations as configurations
from tests.e2e.test_backup_restore import (create_instance,
                                           execute, wait_backup)
from tests.e2e.test_instance_faults import conductor_client  # noqa: F401
from tests.helpers import private_rabbit
from tests.helpers.processes import wait_until
from trove.common import daemon
from trove.localenv import config as local_config
from trove.localenv import services

pytestmark = pytest.mark.e2e

DATASTORE = 'mariadb'
CONDUCTOR_DOWN = 60
STALE_FAULT = 'stale heartbeat 7f3a: must be dropped'


def _guest_pid(system, instance_id):
    return daemon.read_pid(os.path.join(system.instance_dir(instance_id),
                                        'run', 'guest.pid'))


def _listed_status(trove, instance_id):
    """From the list: a show would call a paused agent."""
    [listed] = [i for i in trove.instances.list() if i.id == instance_id]
    return listed.operating_status


# A thousand rows to check after each fault, in each engine's SQL.
SEED = {'mariadb': 'INSERT INTO kept SELECT seq FROM seq_1_to_1000',
        'postgresql': 'INSERT INTO kept SELECT generate_series(1, 1000)'}


@pytest.fixture(params=sorted(SEED))
def instance(request, trove, trove_system):
    datastore = request.param
    created = create_instance(trove, datastore, 'matrix-' + datastore)
    instance = e2e.wait_for_instance(trove, created.id, system=trove_system)
    execute(datastore, instance.ip[0],
            'CREATE TABLE kept (id INT PRIMARY KEY)', SEED[datastore])
    instance.datastore_name = datastore
    yield instance
    pid = _guest_pid(trove_system, created.id)
    if pid:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    trove.instances.delete(created.id)
    e2e.wait_for_deleted(trove, created.id)


def _rows(instance):
    return tuple(execute(instance.datastore_name, instance.ip[0],
                         'SELECT COUNT(*), SUM(id) FROM kept')[0])


def test_conductor_stopped_for_a_minute(trove, trove_system, instance,
                                        conductor_client):  # noqa: F811
    config = local_config.LocalConfig.from_state_dir(trove_system.state_dir)
    before = _rows(instance)
    old_pid = services.stop(config, 'trove-conductor')
    assert old_pid
    stopped = time.monotonic()
    try:
        backup = trove.backups.create('while-conductor-down', instance.id)
        # The API and the taskmanager keep working; the guest backs up and
        # casts its results, which wait in the conductor's queue. The
        # taskmanager does not fail the backup although no heartbeat is
        # recorded: the agent answers its ping.
        wait_until(lambda: time.monotonic() - stopped > CONDUCTOR_DOWN - 5,
                   timeout=CONDUCTOR_DOWN + 5, interval=1)
        assert trove.backups.get(backup.id).status in ('NEW', 'BUILDING')
        # A heartbeat stamped before the agent's queued ones, carrying a
        # fault: applied in order, it is dropped (were it applied, the
        # fault would stay on the instance).
        conductor_client(instance.id).heartbeat(
            instance.id, {'service_status': 'shutdown',
                          'fault': {'message': STALE_FAULT, 'details': ''}},
            sent=time.time() - 10)
        time.sleep(max(0, CONDUCTOR_DOWN - (time.monotonic() - stopped)))
    finally:
        services.start(config, 'trove-conductor')
    wait_backup(trove, backup.id, system=trove_system, timeout=60)
    # The queued heartbeats were applied (the agent's newest: healthy),
    # the late "shutdown" was not: no regression, no fault.
    wait_until(lambda: _listed_status(trove, instance.id) == 'HEALTHY',
               timeout=30, message='the queued heartbeats were not applied')
    fault = getattr(trove.instances.get(instance.id), 'fault', None)
    assert not fault or STALE_FAULT not in fault['message'], fault
    assert _rows(instance) == before
    again = trove.backups.create('after-conductor-back', instance.id)
    wait_backup(trove, again.id, system=trove_system)


def test_agent_paused_during_backup_ends_by_deadline(trove, trove_system,
                                                     instance):
    before = _rows(instance)
    backup = trove.backups.create('paused-agent', instance.id)
    guest_pid = _guest_pid(trove_system, instance.id)
    os.kill(guest_pid, signal.SIGSTOP)
    try:
        failed = wait_backup(trove, backup.id, statuses=('FAILED',
                                                         'COMPLETED'),
                             system=trove_system, timeout=120)
    finally:
        os.kill(guest_pid, signal.SIGCONT)
    if failed.status == 'COMPLETED':
        pytest.skip('the backup finished before the agent was paused')
    assert 'stopped reporting' in failed.description, failed.description
    wait_until(lambda: _listed_status(trove, instance.id) == 'HEALTHY',
               timeout=60, message='the resumed agent did not report')
    # The late report of the resumed agent does not undo the failure.
    time.sleep(3)
    assert trove.backups.get(backup.id).status == 'FAILED'
    assert _rows(instance) == before
    again = trove.backups.create('after-pause', instance.id)
    wait_backup(trove, again.id, system=trove_system)


def test_guest_clock_ahead_does_not_freeze_status(trove, trove_system,
                                                  instance,
                                                  conductor_client):  # noqa: F811
    """A sealed heartbeat stamped an hour ahead (the guest's clock was
    wrong) is applied as if sent now; the agent's next heartbeats, stamped
    by a right clock, still apply: the status does not freeze."""
    guest_pid = _guest_pid(trove_system, instance.id)
    os.kill(guest_pid, signal.SIGSTOP)
    try:
        conductor_client(instance.id).heartbeat(
            instance.id, {'service_status': 'shutdown'},
            sent=time.time() + 3600)
        wait_until(lambda: _listed_status(trove, instance.id) == 'SHUTDOWN',
                   timeout=10, message='the skewed heartbeat was not applied')
    finally:
        os.kill(guest_pid, signal.SIGCONT)
    wait_until(lambda: _listed_status(trove, instance.id) == 'HEALTHY',
               timeout=30, message='the agent\'s heartbeats after a skewed '
               'one were dropped: the status froze')


# -- Part two: a system on a RabbitMQ node of the test's own ---------------
#
# The broker is restarted under the system's feet, so it must be nobody
# else's: a private node (own name, ports, mnesia and log dirs) that the
# module starts and stops by its pid; the machine's broker is untouched.
# Build deadlines are short so a hung agent ends within the test.

BUILD_TIMEOUT = 60
BROKER_DOWN = 5
BROKER_OPTIONS = ['usage_timeout=%d' % BUILD_TIMEOUT,
                  'mariadb.usage_timeout=%d' % BUILD_TIMEOUT,
                  'mysql.usage_timeout=%d' % BUILD_TIMEOUT,
                  'postgresql.usage_timeout=%d' % BUILD_TIMEOUT]


@pytest.fixture(scope='module')
def broker():
    if not private_rabbit.available():
        pytest.skip('a private RabbitMQ node needs root and rabbitmq-server')
    node = private_rabbit.PrivateRabbit()
    node.start()
    yield node
    node.remove()


@pytest.fixture(scope='module')
def broker_system(broker):
    with e2e.temporary_system('trove-e2e-matrix-',
                              transport_url=broker.transport_url,
                              extra_options=BROKER_OPTIONS) as system:
        system.up()
        yield system


@pytest.fixture
def on_broker(broker_system, project_id):
    """A client of the private-broker system; its instances deleted
    afterwards (resumed first if a test left its agent paused)."""
    trove = broker_system.client(project_id)
    yield trove
    for listed in trove.instances.list():
        for server_id in broker_system.server_ids(listed.id):
            pid = daemon.read_pid(os.path.join(
                broker_system.state_dir, 'instances', server_id, 'run',
                'guest.pid'))
            _resume(pid)
        try:
            trove.instances.delete(listed.id)
            e2e.wait_for_deleted(trove, listed.id)
        except Exception as error:  # noqa: BLE001 - cleanup goes on
            print('cleanup of %s: %s' % (listed.id, error))


def _resume(pid):
    if pid:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def _fault(instance):
    return (getattr(instance, 'fault', None) or {}).get('message')


def _healthy(trove, instance_id):
    wait_until(lambda: _listed_status(trove, instance_id) == 'HEALTHY',
               timeout=60, message='no heartbeat after the broker came back')


@pytest.fixture(params=['mariadb', 'postgresql'])
def datastore(request):
    return request.param


def _fill(datastore, instance, count):
    """Table ``kept`` of the request's database with ids 1..count."""
    series = ('SELECT seq FROM seq_1_to_%d' if datastore == 'mariadb'
              else 'SELECT generate_series(1, %d)') % count
    execute(datastore, instance.ip[0],
            'CREATE TABLE kept (id INT PRIMARY KEY)',
            'INSERT INTO kept ' + series)


def _kept(datastore, instance):
    """(count, sum) of ``kept``, compared over SQL before and after."""
    count, total = execute(datastore, instance.ip[0],
                           'SELECT COUNT(*), SUM(id) FROM kept')[0]
    return int(count), int(total)


def _ready_instance(trove, system, name, datastore=DATASTORE):
    created = create_instance(trove, datastore, name)
    instance = e2e.wait_for_instance(trove, created.id, system=system)
    _fill(datastore, instance, 1000)
    return instance


def _guest_started(system, instance_id):
    """The pid of the instance's guest agent once it runs, else None."""
    for server_id in system.server_ids(instance_id):
        return daemon.read_pid(os.path.join(
            system.state_dir, 'instances', server_id, 'run', 'guest.pid'))
    return None


def _guest_serving(system, instance_id):
    """The pid of the instance's guest agent once it serves RPC."""
    for server_id in system.server_ids(instance_id):
        run_dir = os.path.join(system.state_dir, 'instances', server_id,
                               'run')
        if os.path.exists(os.path.join(run_dir, 'agent.ready')):
            return daemon.read_pid(os.path.join(run_dir, 'guest.pid'))
    return None


def test_broker_restarted_during_create(on_broker, broker_system, broker,
                                       datastore):
    trove = on_broker
    created = create_instance(trove, datastore, 'broker-create')
    # In the middle: the server runs and its agent is preparing.
    wait_until(lambda: _guest_started(broker_system, created.id),
               timeout=120, interval=0.1, message='no guest agent started')
    assert trove.instances.get(created.id).status == 'BUILD'
    broker.restart(down_for=BROKER_DOWN)
    instance = e2e.wait_for_instance(
        trove, created.id, statuses=('ACTIVE', 'ERROR'),
        timeout=BUILD_TIMEOUT + 240, system=broker_system)
    assert instance.status == 'ACTIVE', _fault(instance)
    _healthy(trove, created.id)
    # The users and databases asked for at create exist; data goes in.
    _fill(datastore, instance, 100)
    assert _kept(datastore, instance) == (100, 5050)
    # The next operation works.
    backup = trove.backups.create('after-broker-create', created.id)
    wait_backup(trove, backup.id, system=broker_system)


def test_broker_restarted_during_backup(on_broker, broker_system, broker,
                                       datastore):
    trove = on_broker
    instance = _ready_instance(trove, broker_system, 'broker-backup', datastore)
    before = _kept(datastore, instance)
    backup = trove.backups.create('broker-restart', instance.id)
    wait_until(lambda: trove.backups.get(backup.id).status == 'BUILDING',
               timeout=60, interval=0.1, message='the backup never started')
    broker.restart(down_for=BROKER_DOWN)
    ended = wait_backup(trove, backup.id, statuses=('COMPLETED', 'FAILED'),
                        system=broker_system, timeout=300)
    if ended.status == 'FAILED':
        # A failure must say why, in words a user can act on.
        assert ended.description, 'a failed backup without a reason'
    _healthy(trove, instance.id)
    assert _kept(datastore, instance) == before
    again = trove.backups.create('after-broker-backup', instance.id)
    wait_backup(trove, again.id, system=broker_system)
    assert ended.status == 'COMPLETED', ended.description


def test_broker_restarted_during_resize(on_broker, broker_system, broker,
                                       datastore):
    trove = on_broker
    instance = _ready_instance(trove, broker_system, 'broker-resize', datastore)
    before = _kept(datastore, instance)
    trove.instances.resize_instance(instance.id, '2')
    wait_until(lambda: trove.instances.get(instance.id).status == 'RESIZE',
               timeout=30, interval=0.1, message='the resize never started')
    broker.restart(down_for=BROKER_DOWN)
    resized = wait_until(
        lambda: (lambda i: i if i.status in ('ACTIVE', 'ERROR') else None)(
            trove.instances.get(instance.id)),
        timeout=300, interval=1, message='the resize did not end')
    assert resized.status == 'ACTIVE', _fault(resized)
    assert resized.flavor['id'] == '2', (resized.flavor, _fault(resized))
    _healthy(trove, instance.id)
    assert _kept(datastore, instance) == before
    # The next operation works.
    trove.instances.resize_volume(instance.id, 2)
    wait_until(lambda: (lambda i: i.status == 'ACTIVE'
                        and i.volume['size'] == 2)(
        trove.instances.get(instance.id)),
        timeout=120, message='volume resize after the broker restart failed')
    assert _kept(datastore, instance) == before


def test_agent_paused_during_prepare_ends_by_deadline(on_broker,
                                                      broker_system,
                                                      datastore):
    trove = on_broker
    created = create_instance(trove, datastore, 'paused-prepare')
    started = time.monotonic()
    # Paused once it serves RPC (its prepare is waiting for it then);
    # paused before, the server itself fails to start.
    guest_pid = wait_until(lambda: _guest_serving(broker_system, created.id),
                           timeout=120, interval=0.02,
                           message='no guest agent started')
    os.kill(guest_pid, signal.SIGSTOP)
    try:
        if trove.instances.get(created.id).status == 'ACTIVE':
            pytest.skip('prepare finished before the agent was paused')
        failed = e2e.wait_for_instance(
            trove, created.id, statuses=('ERROR',),
            timeout=BUILD_TIMEOUT + 60, system=broker_system)
        took = time.monotonic() - started
        assert took < BUILD_TIMEOUT + 60, took
        message = _fault(failed)
        assert message and 'did not report the database ready within %d ' \
            'seconds' % BUILD_TIMEOUT in message, message
        # Deleting the instance works with its agent still hung.
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)
        wait_until(lambda: not _alive(guest_pid), timeout=30,
                   message='the paused agent outlived its instance')
    finally:
        _resume(guest_pid)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().split(')')[-1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def _small_filesystem(path, size):
    """A tmpfs of ``size`` mounted on ``path`` (what was there is hidden,
    not touched); unmounted afterwards."""
    os.makedirs(path, exist_ok=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s,mode=0755' % size,
                    'tmpfs', path], check=True, capture_output=True)
    try:
        yield lambda new_size: subprocess.run(
            ['mount', '-o', 'remount,size=%s' % new_size, path],
            check=True, capture_output=True)
    finally:
        subprocess.run(['umount', path], check=True, capture_output=True)


def _stored_files(root):
    return sorted(os.path.relpath(os.path.join(top, name), root)
                  for top, _dirs, files in os.walk(root) for name in files)


def test_full_backup_store_fails_the_backup_with_a_reason(on_broker,
                                                          broker_system,
                                                          datastore):
    """Local volumes are directories with a declared size, not
    filesystems (nothing makes the engine's writes fail), so the full
    disk a user meets is the backup store's: a store with 256 KiB free.
    The backup ends FAILED saying the store is full, leaves no partial
    object, the data is intact, and once the store has room the next
    backup works."""
    if os.getuid() != 0:
        pytest.skip('mounting a small filesystem needs root')
    trove = on_broker
    instance = _ready_instance(trove, broker_system, 'full-store', datastore)
    before = _kept(datastore, instance)
    store = os.path.join(broker_system.state_dir, 'backups')
    with _small_filesystem(store, '256k') as resize_store:
        backup = trove.backups.create('into-a-full-store', instance.id)
        failed = wait_backup(trove, backup.id, statuses=('FAILED',),
                             system=broker_system, timeout=120)
        description = failed.description or ''
        print('\nbackup into a full store: %s' % description)
        assert 'The backup store is full' in description, description
        assert not [name for name in _stored_files(store)
                    if backup.id in name], _stored_files(store)
        _healthy(trove, instance.id)
        assert _kept(datastore, instance) == before
        # The operator gives the store room: the next backup works.
        resize_store('512m')
        again = trove.backups.create('store-with-room', instance.id)
        wait_backup(trove, again.id, system=broker_system)
        trove.backups.delete(again.id)
        wait_until(lambda: not [name for name in _stored_files(store)
                                if again.id in name], timeout=60)


def test_volume_past_its_size_shows_and_resize_volume_brings_it_back(
        on_broker, broker_system):
    """What the local provider can show of a full data volume: its size
    is declared, not enforced, so the engine never fails to write, but a
    volume filled past its size shows in ``volume.used`` (over 100 %),
    and a volume resize brings it back under its size."""
    trove = on_broker
    instance = _ready_instance(trove, broker_system, 'full-volume')
    before = _kept(DATASTORE, instance)
    filler = os.path.join(broker_system.volume_dir(instance.id), 'mount',
                          'filler')
    subprocess.run(['fallocate', '-l', '1200M', filler], check=True)
    try:
        shown = trove.instances.get(instance.id).volume
        assert shown['size'] == 1 and shown['used'] >= 1.1, shown
        assert shown['used_percent'] > 100, shown
        trove.instances.resize_volume(instance.id, 2)
        resized = wait_until(
            lambda: (lambda i: i if i.status == 'ACTIVE'
                     and i.volume['size'] == 2 else None)(
                trove.instances.get(instance.id)),
            timeout=120, message='the volume resize did not finish')
        assert resized.volume['used_percent'] < 100, resized.volume
    finally:
        os.unlink(filler)
    assert _kept(DATASTORE, instance) == before
    _healthy(trove, instance.id)


# -- A guest agent paused during a configuration attach ----------------------

@pytest.mark.parametrize('datastore', ['mariadb', 'postgresql'])
def test_agent_paused_during_configuration_attach_ends_by_deadline(
        trove, trove_system, datastore):
    """Attaching a group to an instance whose agent is paused ends by
    configuration_apply_timeout: 504, the group not attached, and a fault
    on the instance saying so and what to do. After SIGCONT the same
    attach works and the value is live over SQL."""
    engine = configurations.ENGINES[datastore]
    name, value = engine['dynamic'], engine['values'][0]
    created = configurations._create_instance(trove, datastore,
                                              'paused-attach-' + datastore)
    try:
        instance = e2e.wait_for_instance(trove, created.id,
                                         system=trove_system)
        address = instance.ip[0]
        group = trove.configurations.create(
            'paused-attach-' + datastore, json.dumps({name: value}),
            datastore=datastore, datastore_version=engine['version'])
        guest_pid = _guest_pid(trove_system, created.id)
        os.kill(guest_pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(exceptions.ClientException) as raised:
                trove.instances.update(created.id, configuration=group.id)
            took = time.monotonic() - started
        finally:
            os.kill(guest_pid, signal.SIGCONT)
        assert raised.value.http_status == 504, raised.value
        assert took < configurations.APPLY_TIMEOUT + 10, took
        shown = trove.instances.get(created.id)
        assert not getattr(shown, 'configuration', None), shown.configuration
        message = _fault(shown)
        print('\nattach with a paused agent: %s' % message)
        assert message and 'Configuration group %s was not attached' % \
            group.id in message, message
        assert 'attach it again once the instance is HEALTHY' in message
        # The agent resumed: it reports, and the same attach works.
        wait_until(lambda: _listed_status(trove, created.id) == 'HEALTHY',
                   timeout=60, message='the resumed agent did not report')
        trove.instances.update(created.id, configuration=group.id)
        assert str(engine['read'](address, name)) == \
            str(engine['shown'](value))
        attached = trove.instances.get(created.id)
        assert attached.configuration['id'] == group.id
        assert attached.status == 'ACTIVE', attached.status
        # The attach that worked cleared the fault the failed one left.
        assert _fault(attached) is None, _fault(attached)
        trove.instances.update(created.id, remove_configuration=True)
        trove.configurations.delete(group.id)
    finally:
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)


# -- A full data volume: a system whose volumes are filesystems --------------
#
# ``[local] volume_backend = loop``: each volume an ext4 of its size in a
# sparse file, loop-mounted on its directory. Mounts and loop devices
# under the system's state dir are removed afterwards whatever happened.

FULL = 'The data volume is full'


def _mounts_under(root):
    with open('/proc/mounts') as mounts:
        points = [line.split()[1].replace('\\040', ' ') for line in mounts]
    return [point for point in points
            if point.startswith(root.rstrip('/') + '/')]


def _loop_devices_under(root):
    out = subprocess.run(['losetup', '-a'], capture_output=True,
                         text=True).stdout
    return [line.split(':', 1)[0] for line in out.splitlines()
            if root in line]


def _unmount_under(root):
    for point in reversed(_mounts_under(root)):
        if subprocess.run(['umount', point]).returncode != 0:
            subprocess.run(['umount', '-l', point])
    for device in _loop_devices_under(root):
        subprocess.run(['losetup', '-d', device])


@pytest.fixture(scope='module')
def loop_system():
    if os.getuid() != 0 or not os.path.exists('/dev/loop-control') or \
            not shutil.which('mkfs.ext4'):
        pytest.skip('loop volumes need root, loop devices and mkfs.ext4')
    state_dirs = []
    try:
        with e2e.temporary_system(
                'trove-e2e-loop-',
                extra_options=['local.volume_backend=loop']) as system:
            state_dirs.append(system.state_dir)
            system.up()
            yield system
    finally:
        # After the services stopped (with the instances' processes).
        for state_dir in state_dirs:
            _unmount_under(state_dir)
            shutil.rmtree(state_dir, ignore_errors=True)


def _fill_volume(path):
    """Write zeros into ``path`` until the filesystem is full."""
    chunk = b'\0' * (8 * 1024 * 1024)
    with open(path, 'wb') as filler:
        try:
            while True:
                filler.write(chunk)
                filler.flush()
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    # What the buffer held when the disk filled is dropped at close.


def test_full_volume_reported_backup_fails_resize_brings_it_back(
        loop_system, project_id, datastore):
    trove = loop_system.client(project_id)
    instance = _ready_instance(trove, loop_system, 'full-volume-loop',
                               datastore)
    try:
        volume_dir = loop_system.volume_dir(instance.id)
        mount = os.path.join(volume_dir, 'mount')
        assert os.path.ismount(mount), 'the volume is not a filesystem'
        before = _kept(datastore, instance)
        try:
            _fill_volume(os.path.join(mount, 'filler'))
        except OSError:
            pass
        # The heartbeat carries the fault; show has the usage.
        faulted = wait_until(
            lambda: (lambda i: i if FULL in (_fault(i) or '') else None)(
                trove.instances.get(instance.id)),
            timeout=30, message='no fault for the full volume')
        print('\nfull volume: %s; volume %s' % (_fault(faulted),
                                                 faulted.volume))
        assert faulted.volume['size'] == 1, faulted.volume
        assert faulted.volume['used_percent'] >= 90, faulted.volume
        # A backup fails at once, saying why.
        backup = trove.backups.create('of-a-full-volume', instance.id)
        failed = wait_backup(trove, backup.id, statuses=('FAILED',),
                             system=loop_system, timeout=120)
        print('backup of a full volume: %s' % failed.description)
        assert FULL in (failed.description or ''), failed.description
        # Resize the volume: the filesystem grows, writes work again.
        trove.instances.resize_volume(instance.id, 2)
        resized = wait_until(
            lambda: (lambda i: i if i.status in ('ACTIVE', 'ERROR')
                     and i.volume['size'] == 2 else None)(
                trove.instances.get(instance.id)),
            timeout=180, message='the volume resize did not finish')
        assert resized.status == 'ACTIVE', _fault(resized)
        _healthy(trove, instance.id)
        resized = trove.instances.get(instance.id)
        assert resized.volume['used_percent'] < 60, resized.volume
        # The resize got past the full volume: its fault is cleared.
        assert FULL not in (_fault(resized) or ''), _fault(resized)
        assert _kept(datastore, instance) == before
        execute(datastore, instance.ip[0], 'INSERT INTO kept ' + (
            'SELECT seq FROM seq_1001_to_2000' if datastore == 'mariadb'
            else 'SELECT generate_series(1001, 2000)'))
        assert _kept(datastore, instance) == (2000, 2001000)
        again = trove.backups.create('after-resize', instance.id)
        wait_backup(trove, again.id, system=loop_system)
    finally:
        trove.instances.delete(instance.id)
        e2e.wait_for_deleted(trove, instance.id)
    assert not _mounts_under(volume_dir), _mounts_under(volume_dir)
    assert not _loop_devices_under(volume_dir)
    assert not os.path.exists(volume_dir)
