"""The taskmanager in-process against a throwaway control DB and a private
RabbitMQ vhost, with the real conductor and fake guest agent processes.

Instance rows are made the way the API makes them (task BUILDING, service
status NEW) and the work is cast through the taskmanager's RPC client.
"""

import json
import os
import pathlib
import random
import shutil
import sys
import tempfile
import uuid

import pytest
import sqlalchemy as sa

from tests.helpers.processes import wait_until
from trove.common import context as trove_context
from trove.common import rpc, service, states
from trove.compute.local import flavors as local_flavors
from trove.compute.local import processes
from trove.conductor import manager as conductor_manager
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import migration
from trove.db import models as db_models
from trove.instance import actions as instance_actions
from trove.records import service_status
from trove.records import work_claims as claims
from trove.taskmanager import api as taskmanager_api
from trove.taskmanager import manager as taskmanager_manager

FAKE_GUEST = os.path.join(os.path.dirname(__file__), 'fake_guest_agent.py')
FLAVOR = {'id': '11', 'name': 'tiny', 'ram': 512, 'vcpus': 1, 'disk': 2,
          'ephemeral': 0}
BIGGER = dict(FLAVOR, id='12', name='bigger', ram=2048)
TEMPLATE = ('[mysqld]\nserver_id = {{ server_id }}\n'
            'innodb_buffer_pool_size = {{ flavor.ram // 2 }}M\n'
            '# {{ datastore.name }} {{ datastore.version }}\n')


def guest_command(mode):
    return '%s %s --mode %s' % (sys.executable, FAKE_GUEST, mode)


DATABASES = [{'_name': 'shop', '_character_set': 'utf8mb4',
              '_collate': 'utf8mb4_general_ci'}]
USERS = [{'_name': 'app', '_host': '%', '_password': 'secret',
          '_databases': [{'_name': 'shop'}]}]


class World:
    """Handles on the running services and the test's data."""

    def __init__(self, root, manager, version_ids):
        self.root = root
        self.manager = manager
        self.version_ids = version_ids
        self.version_id = version_ids['mariadb']
        self.instances_dir = str(root / 'instances')
        self.context = trove_context.TroveContext(project_id='demo',
                                                  user_id='tester')

    def use_guest(self, mode):
        CONF.set_override('guest_agent_command', guest_command(mode),
                          group='local')

    def api(self):
        return taskmanager_api.API(self.context)

    def new_instance(self, task=states.InstanceTasks.BUILDING,
                     started=None, volume_size=1, manager='mariadb',
                     databases=DATABASES, has_secrets=True):
        """Rows and work as the API writes them before casting
        create_instance (other tasks: as a stuck instance would be,
        without work)."""
        now = db_models.utcnow()
        with db_api.writer(self.context) as session:
            row = db_models.Instance(
                name='db-%s' % uuid.uuid4().hex[:6], tenant_id='demo',
                flavor_id=FLAVOR['id'], volume_size=volume_size,
                datastore_version_id=self.version_ids[manager],
                task_id=task.code,
                task_description=task.db_text,
                task_start_time=started or now,
                server_status=states.ServerStatus.BUILD, created=now,
                updated=now)
            session.add(row)
            session.flush()
            service_status.create(session, row.id)
            if task is states.InstanceTasks.BUILDING and started is None:
                claims.submit(session, row.id, 'instance', 'create', args={
                    'databases': databases, 'has_secrets': has_secrets})
            return row.id

    def cast_create(self, instance_id, users=USERS, root_password=None):
        taskmanager_api.API(self.context).create_instance(
            instance_id, users=users, root_password=root_password)

    def submit(self, instance_id, task, work, **args):
        """Set a task and submit its work, as the API's actions do."""
        instance_actions.set_task(self.context, instance_id, task,
                                  work=work, args=args or None)

    def set_task(self, instance_id, task):
        instance_actions.set_task(self.context, instance_id, task)

    def row(self, instance_id):
        with db_api.reader(self.context) as session:
            return session.get(db_models.Instance, instance_id)

    def task(self, instance_id):
        return states.InstanceTasks.from_code(self.row(instance_id).task_id)

    def service_status(self, instance_id):
        return service_status.get(self.context, instance_id)[0]

    def fault(self, instance_id):
        with db_api.reader(self.context) as session:
            return session.query(db_models.InstanceFault).filter_by(
                instance_id=instance_id, deleted=False).first()

    def work(self, instance_id):
        return claims.current(self.context, instance_id)

    def wait_task(self, instance_id, task, timeout=30):
        wait_until(lambda: self.task(instance_id) is task, timeout=timeout,
                   interval=0.2,
                   message='instance %s never reached %s (task %s, fault %s)'
                           % (instance_id, task.name,
                              self.task(instance_id).name,
                              getattr(self.fault(instance_id), 'message',
                                      None)))

    def server_dir(self, instance_id):
        """The instance's server directory (None before it has one)."""
        server_id = self.row(instance_id).compute_instance_id
        return os.path.join(self.instances_dir, server_id) if server_id \
            else None

    def volume_dir(self, instance_id):
        return os.path.join(str(self.root / 'volumes'),
                            self.row(instance_id).volume_id)

    def calls(self, instance_id):
        path = os.path.join(self.server_dir(instance_id), 'run',
                            'calls.jsonl')
        if not os.path.exists(path):
            return []
        with open(path) as calls:
            return [json.loads(line) for line in calls]

    def delete(self, instance_id):
        self.submit(instance_id, states.InstanceTasks.DELETING, 'delete')
        taskmanager_api.API(self.context).delete_instance(instance_id)
        wait_until(lambda: self.row(instance_id).deleted, timeout=90,
                   interval=0.2,
                   message='instance %s was not deleted' % instance_id)


@pytest.fixture(scope='module')
def world(rabbit_transport_url):
    # Like the world_tmp_dir fixture, for the whole module: instance
    # directories must be traversable (the driver checks it as root).
    root = pathlib.Path(tempfile.mkdtemp(prefix='trove-tm-test-'))
    os.chmod(root, 0o755)
    # Creating a transport registers transport_url (nothing connects yet).
    rpc.get_transport()
    rpc.cleanup()
    suffix = uuid.uuid4().hex[:8]
    overrides = {
        None: {
            'transport_url': rabbit_transport_url,
            'taskmanager_queue': 'taskmanager-' + suffix,
            'conductor_queue': 'trove-conductor-' + suffix,
            'guest_config': str(root / 'trove-guestagent.conf'),
            'template_path': str(root / 'templates'),
            'usage_sleep_time': 1,
            'report_interval': 0,
            'server_delete_time_out': 20,
            'agent_call_low_timeout': 5,
            'agent_call_high_timeout': 10,
        },
        'local': {
            'instances_dir': str(root / 'instances'),
            'volumes_dir': str(root / 'volumes'),
            'address_pool': '127.78.%d.0/28' % random.randint(1, 254),
        },
        'mariadb': {'usage_timeout': 30},
    }
    services = []
    manager = None
    try:
        for group, values in overrides.items():
            for name, value in values.items():
                CONF.set_override(name, value, group=group)
        version_ids = _prepare_files_and_database(root,
                                                  rabbit_transport_url)
        conductor = service.RpcService(CONF.conductor_queue,
                                       'test-conductor',
                                       [conductor_manager.Manager()])
        conductor.start()
        services.append(conductor)
        manager = taskmanager_manager.Manager()
        taskmanager = service.RpcService(CONF.taskmanager_queue, 'test-tm',
                                         [manager])
        taskmanager.start()
        services.insert(0, taskmanager)
        yield World(root, manager, version_ids)
    finally:
        # Also after a failed setup: no service, process, override or
        # directory outlives the module.
        for rpc_service in services:
            rpc_service.stop()
            if manager is not None and rpc_service is services[0]:
                manager.wait_idle(60)
        for instance_dir in processes.instance_dirs(str(root / 'instances')):
            processes.stop_instance_processes(instance_dir, timeout=10)
        rpc.cleanup()
        db_api.configure()
        for group, values in overrides.items():
            for name in values:
                CONF.clear_override(name, group=group)
        CONF.clear_override('guest_agent_command', group='local')
        shutil.rmtree(root, ignore_errors=True)


def _prepare_files_and_database(root, transport_url):
    """The guest config, a template, and a migrated control DB holding
    the mariadb 10.11 datastore version; returns the version's id."""
    (root / 'trove-guestagent.conf').write_text(
        '[DEFAULT]\ntransport_url = %s\ncontrol_exchange = trove\n'
        'conductor_queue = %s\n' % (transport_url, CONF.conductor_queue))
    (root / 'templates' / 'mariadb').mkdir(parents=True)
    (root / 'templates' / 'mariadb' / 'config.template').write_text(
        TEMPLATE)

    url = 'sqlite:///%s' % (root / 'control.sqlite')
    engine = sa.create_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    db_api.configure(url)
    rpc.cleanup()       # a transport on the private vhost from now on

    context = trove_context.get_admin_context()
    local_flavors.LocalFlavors().create(
        context, FLAVOR['name'], FLAVOR['ram'], FLAVOR['vcpus'],
        FLAVOR['disk'], flavor_id=FLAVOR['id'])
    local_flavors.LocalFlavors().create(
        context, BIGGER['name'], BIGGER['ram'], BIGGER['vcpus'],
        BIGGER['disk'], flavor_id=BIGGER['id'])
    ids = {}
    with db_api.writer(context) as session:
        # mariadb has a template; redis has none (a build must fail).
        for manager, name, number in (('mariadb', '10.11', '10.11.19'),
                                      ('redis', '7.0', '7.0.15')):
            datastore = db_models.Datastore(name=manager)
            session.add(datastore)
            session.flush()
            version = db_models.DatastoreVersion(
                datastore_id=datastore.id, name=name, version=number,
                manager=manager, active=True, registry_ext='',
                repl_strategy='')
            session.add(version)
            session.flush()
            ids[manager] = version.id
    return ids
