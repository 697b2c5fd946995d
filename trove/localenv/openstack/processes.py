"""The processes of the OpenStack test stack: what runs, how, and stopping it.

Each service is one simple command started detached (trove.common.daemon)
with its own pid file; the command's pid is what is recorded, never a
shell's. The WSGI services run under gunicorn through a wrapper module
that clears ``sys.argv`` (their oslo.config would otherwise parse
gunicorn's arguments). Each process runs in a session of its own, so
stopping it signals the process group of the recorded pid: gunicorn's
workers and Cinder's per-backend child go with their parent.

Nothing here chooses ports or writes service configuration.
"""

import concurrent.futures
import dataclasses
import os
import signal
import time

from trove.common import daemon
from trove.localenv.openstack import configs

STOP_GRACE = 3.0

WSGI_WRAPPER = '''\
import sys
sys.argv = sys.argv[:1]
from {module} import application  # noqa: E402,F401
'''
# Neutron 29's models need their mappers configured before the first
# request on SQLAlchemy 2.1, or GET /ports answers 500.
NEUTRON_WSGI_WRAPPER = WSGI_WRAPPER + '''\
import sqlalchemy.orm  # noqa: E402
sqlalchemy.orm.configure_mappers()
'''

WSGI_APPS = {
    'placement': ('placement.wsgi.api', WSGI_WRAPPER),
    'glance': ('glance.wsgi.api', WSGI_WRAPPER),
    'nova-api': ('nova.wsgi.osapi_compute', WSGI_WRAPPER),
    'neutron': ('neutron.wsgi.api', NEUTRON_WSGI_WRAPPER),
}
CONFIG_DIR_VARIABLES = {
    'placement': {'OS_PLACEMENT_CONFIG_DIR': 'placement'},
    'glance': {'OS_GLANCE_CONFIG_DIR': 'glance'},
    # Nova loads its paste pipeline from the first file of the list (an
    # absolute path is kept as it is).
    'nova-api': {'OS_NOVA_CONFIG_DIR': 'nova',
                 'OS_NOVA_CONFIG_FILES': '{venv_etc}/nova/api-paste.ini;'
                                         'nova.conf'},
    'neutron': {'OS_NEUTRON_CONFIG_DIR': 'neutron',
                'OS_NEUTRON_CONFIG_FILES': 'neutron.conf;ml2_conf.ini'},
}
PORT_NAMES = {'nova-api': 'nova'}
DAEMONS = {
    'nova-conductor': ('nova', 'nova.conf'),
    'nova-scheduler': ('nova', 'nova.conf'),
    'nova-compute': ('nova', 'nova.conf'),
    'cinder-api': ('cinder', 'cinder.conf'),
    'cinder-scheduler': ('cinder', 'cinder.conf'),
    'cinder-volume': ('cinder', 'cinder.conf'),
}
# Started once the conductor starts: nova-compute's first act is an RPC
# ping of the conductor, and a ping sent before the conductor's queue
# exists is lost and retried only after 10 s.
LATE = ('nova-compute',)
LATE_AFTER = ('nova-conductor', 'Starting conductor node')


@dataclasses.dataclass
class Process:
    name: str
    command: list
    env: dict
    health_url: str | None = None


class ProcessTable:
    """The stack's processes under ``<state dir>/run``."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.run_dir = ctx.path('run')

    def pid_path(self, name):
        return os.path.join(self.run_dir, name + '.pid')

    def log_path(self, name):
        return os.path.join(self.run_dir, name + '.log')

    def _bin(self, name):
        return os.path.join(self.ctx.venv_dir, 'bin', name)

    def _env(self, extra=None):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(('OS_', 'PYTHON'))}
        env['PYTHONDONTWRITEBYTECODE'] = '1'
        env.update(extra or {})
        return env

    def _write_wrapper(self, name):
        module, template = WSGI_APPS[name]
        directory = os.path.join(self.run_dir, 'wsgi')
        os.makedirs(directory, exist_ok=True)
        wrapper = name.replace('-', '_') + '_wsgi'
        with open(os.path.join(directory, wrapper + '.py'), 'w') as written:
            written.write(template.format(module=module))
        return directory, wrapper

    def wsgi_process(self, name):
        directory, wrapper = self._write_wrapper(name)
        port = self.ctx.ports[PORT_NAMES.get(name, name)]
        env = {variable: configs.config_dir(self.ctx, value)
               if variable.endswith('_DIR')
               else value.format(venv_etc=self.ctx.venv_etc())
               for variable, value in CONFIG_DIR_VARIABLES[name].items()}
        command = [self._bin('gunicorn'), '--no-control-socket',
                   '--chdir', directory,
                   '--bind', '127.0.0.1:%d' % port,
                   '--workers', '1', '--threads', '4',
                   '--timeout', '120', '--graceful-timeout', '5',
                   wrapper + ':application']
        return Process(name, command, self._env(env),
                       'http://127.0.0.1:%d/' % port)

    def daemon_process(self, name):
        service, conf = DAEMONS[name]
        command = [self._bin(name), '--config-file',
                   os.path.join(configs.config_dir(self.ctx, service), conf)]
        health = None
        if name == 'cinder-api':
            health = 'http://127.0.0.1:%d/' % self.ctx.ports['cinder']
        return Process(name, command, self._env(), health)

    def processes(self):
        return ([self.wsgi_process(name) for name in WSGI_APPS] +
                [self.daemon_process(name) for name in DAEMONS])

    def start(self, names=None):
        """Start the named processes (all but LATE by default) at once."""
        os.makedirs(self.run_dir, exist_ok=True)
        chosen = [process for process in self.processes()
                  if (process.name in names if names is not None
                      else process.name not in LATE)]

        def launch(process):
            if not daemon.is_running(self.pid_path(process.name)):
                daemon.spawn(process.command, self.pid_path(process.name),
                             self.log_path(process.name), env=process.env,
                             cwd=self.run_dir)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(launch, chosen))
        return chosen

    def running(self):
        return {process.name: daemon.read_pid(self.pid_path(process.name))
                for process in self.processes()
                if daemon.is_running(self.pid_path(process.name))}

    def stop(self, grace=STOP_GRACE):
        """SIGTERM every process group, SIGKILL what outlives ``grace``.

        The stack's data is a copy of the template (or is about to become
        one, after a clean stop of MariaDB, which is not in this table), so
        nothing is lost by not waiting for oslo.service's graceful period.
        """
        pids = [daemon.read_pid(self.pid_path(process.name))
                for process in self.processes()]
        stop_process_groups([pid for pid in pids if pid], grace)
        for process in self.processes():
            path = self.pid_path(process.name)
            if os.path.exists(path) and not daemon.is_running(path):
                os.unlink(path)


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _signal_group(pgid, signum):
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def stop_process_groups(pids, grace):
    """Stop every process started with these pids, and their children.

    trove.common.daemon puts each program in a session of its own, so the
    process group of a recorded pid holds just that program and what it
    forked (gunicorn workers, oslo.service children).
    """
    groups = []
    for pid in pids:
        try:
            groups.append(os.getpgid(pid))
        except ProcessLookupError:
            continue
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not any(_group_alive(pgid) for pgid in groups):
            return
        time.sleep(0.1)
    for pgid in groups:
        _signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_group_alive(pgid)
                                              for pgid in groups):
        time.sleep(0.1)
