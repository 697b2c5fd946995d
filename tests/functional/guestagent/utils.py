"""A hand-made local instance for guest agent tests.

``GuestInstance`` lays out an instance directory the way the local
provider does (etc/, run/, logs/, volume/, volume.json), starts the real
``trove-guestagent`` on it, and reads what the agent reported through the
real conductor (service_statuses and instance_faults rows).
"""

import contextlib
import os
import pathlib
import random
import shutil
import signal
import socket
import sys
import tempfile
import uuid

import jinja2
import pytest

from tests.helpers import processes
from trove.common import context as trove_context
from trove.common import daemon
from trove.common import engines
from trove.db import api as db_api
from trove.db import models as db_models
from trove.guestagent import api as guest_api
from trove.records import service_status

TEMPLATES_DIR = pathlib.Path(__file__).resolve().parents[3] / 'trove' / \
    'templates'
AGENT = os.path.join(os.path.dirname(sys.executable), 'trove-guestagent')
ENGINE_PORTS = {'mariadb': 3306, 'mysql': 3306, 'postgresql': 5432}
VERSIONS = {'mariadb': '10.11', 'mysql': '8.0', 'postgresql': '15'}


ENGINES = {'mariadb': engines.find_mariadb,
           'postgresql': engines.find_postgresql}


@contextlib.contextmanager
def module_temp_dir(prefix):
    """A temp dir the engines' users can enter, removed afterwards."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def healthy_guest(manager, module_dir, conductor):
    """A prepared instance of ``manager`` whose agent reports healthy
    (skips when the engine is not installed); cleaned up afterwards."""
    if ENGINES[manager]() is None:
        pytest.skip('%s is not installed' % manager)
    guest = GuestInstance(module_dir, manager, conductor)
    guest.create_records()
    try:
        guest.prepare(render_config(manager))
        guest.start_agent()
        guest.wait_status('healthy')
        yield guest
    finally:
        guest.cleanup()


def render_config(manager, ram_mb=512):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
                             undefined=jinja2.StrictUndefined)
    template = env.get_template('%s/config.template' % manager)
    return template.render(
        flavor={'id': '1', 'name': 'tiny', 'ram': ram_mb, 'vcpus': 1,
                'disk': 1},
        datastore={'name': manager, 'manager': manager,
                   'version': VERSIONS[manager]},
        server_id=random.randint(1, 2 ** 31 - 1))


def free_loopback_address(port):
    """A random 127.99.x.y where nothing listens on ``port``."""
    for _attempt in range(50):
        address = '127.99.%d.%d' % (random.randint(1, 254),
                                    random.randint(1, 254))
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((address, port)) != 0:
                return address
    raise RuntimeError('no free 127.99.x.y address for port %d' % port)


class GuestInstance:

    def __init__(self, base_dir, manager, transport_url, volume_gb=2):
        self.id = str(uuid.uuid4())
        self.manager = manager
        self.port = ENGINE_PORTS[manager]
        self.address = free_loopback_address(self.port)
        self.dir = pathlib.Path(base_dir) / self.id
        self.etc = self.dir / 'etc'
        self.run = self.dir / 'run'
        self.logs = self.dir / 'logs'
        self.volume = self.dir / 'volume'
        for path in (self.dir, self.etc, self.run, self.logs, self.volume):
            path.mkdir(mode=0o755)
            os.chmod(path, 0o755)
        (self.dir / 'volume.json').write_text('{"size": %d}' % volume_gb)
        self.context = trove_context.get_admin_context(project_id='demo')
        self.agent = None
        self._write_config(transport_url)

    def _write_config(self, transport_url):
        (self.etc / 'guest_info.conf').write_text(
            '[DEFAULT]\n'
            'guest_id = %(id)s\n'
            'datastore_manager = %(manager)s\n'
            'datastore_version = %(version)s\n'
            'tenant_id = demo\n'
            'guest_state_dir = %(run)s\n'
            'engine_bind_host = %(address)s\n'
            'volume_driver = directory\n'
            'directory_volume_size_file = %(dir)s/volume.json\n'
            'log_dir = %(logs)s\n'
            'log_file = guestagent.log\n'
            'debug = true\n'
            '[%(manager)s]\n'
            'mount_point = %(volume)s\n'
            % dict(id=self.id, manager=self.manager,
                   version=VERSIONS[self.manager], run=self.run,
                   address=self.address, dir=self.dir, logs=self.logs,
                   volume=self.volume))
        (self.etc / 'trove-guestagent.conf').write_text(
            '[DEFAULT]\n'
            'transport_url = %s\n'
            'control_exchange = trove\n'
            'report_interval = 1\n'
            'state_change_poll_time = 1\n'
            'state_healthy_counts = 2\n'
            'state_change_wait_time = 60\n' % transport_url)

    # Control-plane records ---------------------------------------------------
    def create_records(self):
        with db_api.writer(self.context) as session:
            session.add(db_models.Instance(id=self.id, name='guest-test',
                                           tenant_id='demo'))
            service_status.create(session, self.id)

    def status(self):
        status, _updated = service_status.get(self.context, self.id)
        return status.description if status else None

    def updated_at(self):
        return service_status.get(self.context, self.id)[1]

    def fault(self):
        with db_api.reader(self.context) as session:
            fault = session.query(db_models.InstanceFault).filter_by(
                instance_id=self.id).first()
            return (fault.message, fault.details) if fault else None

    def root_history(self):
        """(user, created) of the instance's root history, or None."""
        with db_api.reader(self.context) as session:
            row = session.get(db_models.RootEnabledHistory, self.id)
            return (row.user, row.created) if row else None

    def wait_status(self, description, timeout=90):
        return processes.wait_until(
            lambda: self.status() == description, timeout=timeout,
            interval=0.2,
            message=lambda: 'status of %s never became %r (last %r); agent '
                            'log:\n%s' % (self.manager, description,
                                          self.status(),
                                          self.agent_log_tail()))

    # Guest RPC ---------------------------------------------------------------
    def api(self):
        return guest_api.API(self.context, self.id)

    def prepare(self, config_contents, databases=(), users=(),
                root_password=None):
        api = self.api()
        api.declare_queue()
        # Where the volume is, as the local provider's attachment says.
        api.prepare(memory_mb=512, packages=[], databases=list(databases),
                    users=list(users), device_path=str(self.dir),
                    mount_point=str(self.volume), backup_info=None,
                    config_contents=config_contents,
                    root_password=root_password, overrides=None,
                    cluster_config=None, snapshot=None, modules=None,
                    ds_version=VERSIONS[self.manager])

    # Processes ---------------------------------------------------------------
    @property
    def ready_file(self):
        return self.run / 'agent.ready'

    def start_agent(self):
        self.agent = processes.ManagedProcess(
            [AGENT, '--config-dir', str(self.etc)],
            str(self.logs / 'guestagent.out'))
        processes.wait_until(
            lambda: self.ready_file.exists() or not self.agent.alive(),
            timeout=60)
        assert self.agent.alive(), self.agent_log_tail()
        return self.agent

    def kill_agent(self):
        os.kill(self.agent.pid, signal.SIGKILL)
        self.agent.process.wait(timeout=10)
        self.agent.stop()

    def start_agent_and_wait_for_its_report(self, timeout=30):
        """Start the agent and wait until it has reported itself: a report
        written before it started (a killed agent's last heartbeat may
        still be on its way) says nothing of what it found."""
        self.start_agent()
        started = db_models.utcnow()
        processes.wait_until(lambda: self.updated_at() > started,
                             timeout=timeout,
                             message=lambda: 'the agent did not report:\n'
                                             + self.agent_log_tail())

    def engine_pid(self):
        name = 'postgres.pid' if self.manager == 'postgresql' else \
            'mysqld.pid'
        return daemon.read_pid(str(self.run / name))

    def agent_log_tail(self, lines=60):
        texts = []
        for name in ('guestagent.out', 'guestagent.log'):
            path = self.logs / name
            if path.exists():
                texts.append('\n'.join(
                    path.read_text(errors='replace').splitlines()[-lines:]))
        return '\n'.join(texts)

    def cleanup(self):
        """Stop the agent and every process that wrote a pid file."""
        if self.agent is not None:
            self.agent.stop()
        for pid_file in self.run.glob('*.pid'):
            pid = daemon.read_pid(str(pid_file))
            if daemon.pid_alive(pid):
                daemon.terminate(pid, timeout=30)
