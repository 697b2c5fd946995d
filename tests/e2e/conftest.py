"""The whole system for end-to-end tests: trove-local with every service as
its own process, a private RabbitMQ vhost, short heartbeat intervals, and
real engines. One system per test session; tests use their own project
ids so they do not see each other's instances.
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import uuid

import pytest

from tests.helpers import ports
from tests.helpers import rabbit
from tests.e2e import system as e2e_system

pytestmark = pytest.mark.e2e

VENV_BIN = os.path.dirname(sys.executable)


_POOLS_TAKEN = set()


def _address_pool():
    """A loopback /16 of its own, so concurrent runs never share one (and
    no two systems of this session do)."""
    second = random.choice(sorted(set(range(100, 200)) - _POOLS_TAKEN))
    _POOLS_TAKEN.add(second)
    return '127.%d.0.0/16' % second


@pytest.fixture(scope='session')
def trove_system():
    state_dir = tempfile.mkdtemp(prefix='trove-e2e-')
    os.chmod(state_dir, 0o755)
    with rabbit.private_transport_url() as transport_url:
        system = e2e_system.TroveSystem(
            state_dir=state_dir, api_port=ports.free_port(),
            transport_url=transport_url, address_pool=_address_pool())
        try:
            system.up()
            yield system
        finally:
            system.down()
            if os.environ.get('TROVE_E2E_KEEP_STATE'):
                print('e2e state kept in', state_dir)
            else:
                shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture
def project_id():
    return 'e2e-' + uuid.uuid4().hex[:8]


@pytest.fixture
def trove(trove_system, project_id):
    """A python-troveclient client of a fresh project (noauth)."""
    return trove_system.client(project_id)


@pytest.fixture
def cli_env(trove_system, project_id):
    """Environment to run the real CLIs: only what openrc exports."""
    return trove_system.openrc_env(project_id)


def run_cli(env, *args, shell_function=False, timeout=120):
    """Run a CLI in a shell that sourced the project's openrc."""
    command = ' '.join(_quote(a) for a in args)
    script = 'export PATH=%s:$PATH; source %s; %s' % (
        VENV_BIN, env['OPENRC'], command)
    return subprocess.run(['bash', '-c', script], capture_output=True,
                          text=True, timeout=timeout,
                          env={k: v for k, v in env.items() if k != 'OPENRC'})


def _quote(arg):
    import shlex
    return shlex.quote(arg)
