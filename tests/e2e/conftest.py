"""The whole system for end-to-end tests: trove-local with every service as
its own process, a private RabbitMQ vhost, short heartbeat intervals, and
real engines. One system per test session; tests use their own project
ids so they do not see each other's instances.
"""

import os
import subprocess
import sys
import uuid

import pytest

from tests.e2e import system as e2e_system

pytestmark = pytest.mark.e2e

VENV_BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope='session')
def trove_system():
    with e2e_system.temporary_system('trove-e2e-') as system:
        system.up()
        yield system


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
