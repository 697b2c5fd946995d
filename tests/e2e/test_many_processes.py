"""One deployment served by two of each: two trove-api processes, two
taskmanagers and two conductors on a MariaDB control database, with real
engines. Work is shared and never done twice; a taskmanager killed in the
middle of a build, or a create cast that never arrives, leaves BUILD
within 90 s; a delete is accepted while an instance builds; a cast about
an instance the deployment does not know provisions nothing.
"""

import concurrent.futures
import datetime
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

from tests.e2e import system as e2e
from tests.helpers import databases, ports
from tests.helpers.processes import ManagedProcess, wait_until
from trove.common import daemon

pytestmark = pytest.mark.e2e

# Shorter than the defaults (30 s lease, 45 s pickup, 10 s sweep) so the
# module runs in a few minutes; the defaults meet the same 90 s bound.
CLAIM_OPTIONS = ['work_claim_lease=12', 'work_pickup_timeout=15',
                 'work_sweep_interval=3',
                 # Room for the 20 instances of one project.
                 'max_instances_per_tenant=40', 'max_volumes_per_tenant=80']
TAKEOVER_DEADLINE = 90
PERIODIC_LINE = re.compile(
    r'^(\S+ \S+) .* Periodic check (\S+) runs here')


@pytest.fixture(scope='module')
def control_db(tmp_path_factory):
    database = databases.TestDatabase('mysql',
                                      str(tmp_path_factory.mktemp('db')))
    yield database.url
    database.drop()


@pytest.fixture(scope='module')
def ha(control_db):
    second_api = ports.free_port()
    with e2e.temporary_system(
            'trove-e2e-ha-', control_db=control_db,
            extra_options=CLAIM_OPTIONS,
            extra_args=['--taskmanagers', '2', '--conductors', '2',
                        '--extra-api-port', str(second_api)]) as system:
        system.up()
        system.second_api_port = second_api
        system.engine = sa.create_engine(control_db)
        yield system
        system.engine.dispose()


def clients(system, project_id):
    """A client of each trove-api of the deployment."""
    first = system.client(project_id)
    second_url = 'http://127.0.0.1:%d/v1.0/%s' % (system.second_api_port,
                                                 project_id)
    from keystoneauth1 import noauth, session
    from troveclient.v1 import client as trove_client
    second = trove_client.Client(session=session.Session(
        auth=noauth.NoAuth(endpoint=second_url)))
    return first, second


def work_of(system, instance_id):
    with system.engine.connect() as connection:
        return connection.execute(sa.text(
            'SELECT flow, step, owner FROM work_claims '
            'WHERE resource_id = :id'), {'id': instance_id}).first()


def owner_pid(owner):
    return int(owner.split(':')[1])


def volume_ids(system, instance_id):
    """Volumes whose record names the instance."""
    import json
    found = []
    root = os.path.join(system.state_dir, 'volumes')
    for name in os.listdir(root) if os.path.isdir(root) else []:
        path = os.path.join(root, name, 'volume.json')
        if os.path.exists(path):
            with open(path) as record:
                if json.load(record).get('instance_id') == instance_id:
                    found.append(name)
    return found


def create(client, name, datastore='mariadb', **kwargs):
    return client.instances.create(name, flavor_id='1', volume={'size': 1},
                                   datastore=datastore, **kwargs)


def wait_settled(client, instance_id, timeout=TAKEOVER_DEADLINE):
    """ACTIVE, or ERROR with a fault; returns the instance."""
    def settled():
        instance = client.instances.get(instance_id)
        return instance if instance.status in ('ACTIVE', 'ERROR') else None
    return wait_until(settled, timeout=timeout, interval=1,
                      message='instance %s did not leave BUILD within %ds'
                              % (instance_id, timeout))


def assert_nothing_left(system, instance_id, pids=()):
    assert system.server_ids(instance_id) == []
    assert volume_ids(system, instance_id) == []
    assert not any(daemon.pid_alive(pid) for pid in pids)


def restore_services(system):
    """Bring back any process a test killed (up is idempotent)."""
    system.up()


def test_two_of_each_share_the_work_and_do_it_once(ha, project_id):
    first, second = clients(ha, project_id)
    started = datetime.datetime.now()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        created = list(pool.map(
            lambda n: create((first, second)[n % 2], 'ha-%02d' % n,
                             'mariadb' if n % 4 else 'postgresql'),
            range(20)))
    ids = [instance.id for instance in created]
    for instance_id in ids:
        e2e.wait_for_instance(first, instance_id, timeout=300, system=ha)

    # Each instance has exactly one server, one volume and its address.
    addresses = []
    for instance_id in ids:
        assert len(ha.server_ids(instance_id)) == 1
        assert len(volume_ids(ha, instance_id)) == 1
        addresses.append(first.instances.get(instance_id).ip[0])
    assert len(set(addresses)) == 20

    # Restarts and resizes through either API end where they should.
    for n, instance_id in enumerate(ids[:10]):
        client = (first, second)[n % 2]
        if n % 2:
            client.instances.restart(instance_id)
        else:
            client.instances.resize_volume(instance_id, 2)
    for n, instance_id in enumerate(ids[:10]):
        wait_until(lambda i=instance_id, n=n: (lambda x: x.status == 'ACTIVE'
                   and (n % 2 or x.volume['size'] == 2))(
            first.instances.get(i)), timeout=180, interval=1,
            message='instance %s did not settle' % instance_id)

    pids = []
    for instance_id in ids:
        pids += [daemon.read_pid(path) for path in _pid_files(
            ha.instance_dir(instance_id))]
    for n, instance_id in enumerate(ids):
        (first, second)[n % 2].instances.delete(instance_id)
    for instance_id in ids:
        e2e.wait_for_deleted(first, instance_id, timeout=180)
    for instance_id in ids:
        assert_nothing_left(ha, instance_id)
    wait_until(lambda: not any(daemon.pid_alive(p) for p in pids if p),
               timeout=30, message='instance processes outlived delete')

    # Both taskmanagers took part; no periodic check ran twice a turn.
    logs = [_read(ha, name) for name in ('trove-taskmanager',
                                         'trove-taskmanager-2')]
    assert all('is active' in log for log in logs), \
        'one taskmanager did no build'
    _assert_periodic_turns(logs, since=started)


def _pid_files(server_dir):
    run = os.path.join(server_dir, 'run')
    return [os.path.join(run, name) for name in os.listdir(run)
            if name.endswith('.pid')]


def _read(system, name):
    with open(os.path.join(system.state_dir, 'logs', name + '.log')) as log:
        return log.read()


def _assert_periodic_turns(logs, since):
    """Each check ran about once per interval in all, not once per
    interval per taskmanager. Counted over the whole test, not gap by gap:
    on a loaded machine a log line can be written a second after its turn
    was taken."""
    runs = {}
    for log in logs:
        for line in log.splitlines():
            match = PERIODIC_LINE.match(line)
            if match:
                at = datetime.datetime.strptime(match.group(1),
                                                '%Y-%m-%d %H:%M:%S.%f')
                if at >= since:
                    runs.setdefault(match.group(2), []).append(at)
    assert {'check_stuck_tasks', 'sweep_abandoned_work'} <= set(runs)
    # report_interval (2 s in these systems) paces the other checks.
    intervals = {'sweep_abandoned_work': 3}
    elapsed = (datetime.datetime.now() - since).total_seconds()
    for check, times in runs.items():
        # A turn lasts 0.9 of the interval; two taskmanagers each running
        # every check would make about twice elapsed / interval runs.
        most = elapsed / (0.9 * intervals.get(check, 2)) + 2
        assert len(times) <= most, (check, len(times), most)


def test_a_build_whose_taskmanager_is_killed_is_taken_over(ha,
                                                           project_id):
    client, _ = clients(ha, project_id)
    instance = create(client, 'orphaned-build')
    started = time.monotonic()
    work = wait_until(lambda: (lambda w: w if w and w.owner else None)(
        work_of(ha, instance.id)), timeout=30, interval=0.05,
        message='no taskmanager claimed the build')
    os.kill(owner_pid(work.owner), signal.SIGKILL)
    try:
        settled = wait_settled(client, instance.id)
        elapsed = time.monotonic() - started
        assert elapsed < TAKEOVER_DEADLINE
        if settled.status == 'ERROR':
            assert settled.fault['message']
        else:
            assert settled.status == 'ACTIVE'
        assert len(ha.server_ids(instance.id)) == 1
        assert len(volume_ids(ha, instance.id)) == 1
        log = _read(ha, 'trove-taskmanager') + \
            _read(ha, 'trove-taskmanager-2')
        assert 'Taking over create of instance %s' % instance.id in log
    finally:
        restore_services(ha)
    client.instances.delete(instance.id)
    e2e.wait_for_deleted(client, instance.id)
    assert_nothing_left(ha, instance.id)


def test_lost_create_casts_leave_build_in_time(ha, project_id):
    """An API whose casts reach no taskmanager (its taskmanager_queue has
    no consumer): the recorded work is taken over by the sweep. Without
    passwords the build completes; with them it fails with a fault that
    says what to do."""
    port = ports.free_port()
    extra = os.path.join(ha.state_dir, 'lost-casts.conf')
    with open(extra, 'w') as conf:
        conf.write('[DEFAULT]\nbind_port = %d\n'
                   'taskmanager_queue = nobody-listens-%s\n'
                   % (port, uuid.uuid4().hex[:6]))
    api = ManagedProcess([os.path.join(e2e.VENV_BIN, 'trove-api'),
                          '--config-file',
                          os.path.join(ha.state_dir, 'trove.conf'),
                          '--config-file', extra, '--log-file',
                          os.path.join(ha.state_dir, 'logs', 'lost.log')],
                         os.path.join(ha.state_dir, 'logs', 'lost.out'))
    try:
        url = 'http://127.0.0.1:%d' % port
        wait_until(lambda: _answers(url), timeout=30,
                   message='the extra trove-api did not start')
        from keystoneauth1 import noauth, session
        from troveclient.v1 import client as trove_client
        lost = trove_client.Client(session=session.Session(
            auth=noauth.NoAuth(endpoint='%s/v1.0/%s' % (url, project_id))))
        started = time.monotonic()
        plain = create(lost, 'lost-plain')
        with_user = create(lost, 'lost-with-user', users=[
            {'name': 'app', 'password': 'app-password-1'}])
        client = ha.client(project_id)
        plain_done = wait_settled(client, plain.id)
        user_done = wait_settled(client, with_user.id)
        assert time.monotonic() - started < TAKEOVER_DEADLINE
    finally:
        api.stop()
    assert plain_done.status == 'ACTIVE'
    assert user_done.status == 'ERROR'
    assert 'passwords' in user_done.fault['message']
    assert 'create it again' in user_done.fault['message']
    for instance in (plain, with_user):
        client.instances.delete(instance.id)
        e2e.wait_for_deleted(client, instance.id)
        assert_nothing_left(ha, instance.id)


def _answers(url):
    import urllib.request
    try:
        with urllib.request.urlopen(url + '/', timeout=2):
            return True
    except OSError:
        return False


def test_a_delete_is_accepted_while_the_instance_builds(ha, project_id):
    client, _ = clients(ha, project_id)
    # Its taskmanager alive: the build lets go, the delete cleans up.
    alive = create(client, 'deleted-while-building')
    client.instances.delete(alive.id)
    e2e.wait_for_deleted(client, alive.id, timeout=TAKEOVER_DEADLINE)
    assert_nothing_left(ha, alive.id)

    # Its taskmanager dead: the other one takes the delete over.
    dead = create(client, 'deleted-after-its-builder-died')
    work = wait_until(lambda: (lambda w: w if w and w.owner else None)(
        work_of(ha, dead.id)), timeout=30, interval=0.05,
        message='no taskmanager claimed the build')
    os.kill(owner_pid(work.owner), signal.SIGKILL)
    try:
        client.instances.delete(dead.id)
        e2e.wait_for_deleted(client, dead.id, timeout=TAKEOVER_DEADLINE)
    finally:
        restore_services(ha)
    assert_nothing_left(ha, dead.id)


def test_a_cast_for_an_unknown_instance_provisions_nothing(ha):
    unknown = str(uuid.uuid4())
    servers_before = sorted(os.listdir(os.path.join(ha.state_dir,
                                                    'instances')))
    code = ('import sys; from trove.cmd import common; '
            'common.setup(["--config-file", sys.argv[1]]); '
            'from trove.common import context; '
            'from trove.taskmanager import api; '
            'client = api.API(context.get_admin_context()); '
            'client.create_instance(sys.argv[2]); '
            'client.delete_instance(sys.argv[2]); '
            'from trove.common import rpc; rpc.cleanup()')
    subprocess.run([sys.executable, '-c', code,
                    os.path.join(ha.state_dir, 'trove.conf'), unknown],
                   check=True, timeout=60, capture_output=True)
    wait_until(lambda: unknown in _read(ha, 'trove-taskmanager')
               + _read(ha, 'trove-taskmanager-2'), timeout=20,
               message='no taskmanager logged the unknown cast')
    log = _read(ha, 'trove-taskmanager') + _read(ha, 'trove-taskmanager-2')
    assert 'No create work is due on %s' % unknown in log
    assert ha.server_ids(unknown) == []
    assert volume_ids(ha, unknown) == []
    assert sorted(os.listdir(os.path.join(ha.state_dir, 'instances'))) == \
        servers_before
    assert work_of(ha, unknown) is None
