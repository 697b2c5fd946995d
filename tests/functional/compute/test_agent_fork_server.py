"""The local provider starts the real guest agent through its fork
server (trove.cmd.guest_forkserver): one single-threaded server per
process forks every agent, a failed server falls back to starting the
agent as a program, and ``guest_agent_command`` or
``guest_agent_fork_server = False`` do without it."""

import subprocess
import sys

import pytest

from tests.functional.compute.test_local_compute import status_of
from tests.helpers.processes import wait_until
from trove.common import forkserver, states
from trove.compute import base
from trove.compute.local import agent_launcher
from trove.conf import CONF

FLAVOR = {'id': '7', 'name': 'small', 'ram': 512, 'vcpus': 1, 'disk': 1,
          'ephemeral': 0}
# A datastore no agent has: the real agent reads its configuration and
# exits at once, which leaves the server in ERROR with its words.
GUEST_INFO = ('[DEFAULT]\nguest_id = {id}\ndatastore_manager = nosuchdb\n'
              'tenant_id = demo\n')
NO_MANAGER = "No guest manager for datastore manager 'nosuchdb'"


@pytest.fixture
def real_agent(local_provider, monkeypatch):
    CONF.clear_override('guest_agent_command', group='local')
    monkeypatch.setattr(agent_launcher, '_server', None)
    yield
    if agent_launcher._server is not None:
        agent_launcher._server.close()
    CONF.clear_override('guest_agent_fork_server', group='local')


def create(driver, instance_id):
    files = base.GuestFiles(guest_info=GUEST_INFO.format(id=instance_id),
                            guest_config='[DEFAULT]\n')
    return driver.create_server(None, base.ServerSpec(
        instance_id=instance_id, name='db-' + instance_id, flavor=FLAVOR,
        datastore_manager='mariadb', guest_files=files))


def fails_with_its_words(driver, server):
    wait_until(lambda: status_of(driver, server.id)
               == states.ServerStatus.ERROR, timeout=30, interval=0.1)
    assert NO_MANAGER in driver.get_server(None, server.id).fault


def threads_of(pid):
    with open('/proc/%d/status' % pid) as status:
        for line in status:
            if line.startswith('Threads:'):
                return int(line.split()[1])


def test_one_single_threaded_server_forks_every_real_agent(
        driver, real_agent):
    first = create(driver, 'fork-1')
    server = agent_launcher._server
    assert server is not None and server.pid
    second = create(driver, 'fork-2')
    assert agent_launcher._server is server
    for each in (first, second):
        fails_with_its_words(driver, each)
    # Forking a threaded process could copy a lock another thread held.
    assert threads_of(server.pid) == 1


def test_a_failed_fork_server_falls_back_to_the_program(driver, real_agent,
                                                        monkeypatch):
    broken = forkserver.ForkServer([sys.executable, '-c', 'exit(3)'])
    monkeypatch.setattr(agent_launcher, '_server', broken)
    fails_with_its_words(driver, create(driver, 'fallback-1'))
    assert broken.pid is None


def test_without_the_fork_server_no_server_is_started(driver, real_agent):
    CONF.set_override('guest_agent_fork_server', False, group='local')
    fails_with_its_words(driver, create(driver, 'program-1'))
    assert agent_launcher._server is None


def test_the_server_asks_the_engines_versions_once_for_every_agent():
    # In a process of its own: preload chooses the agent's RPC stack.
    probe = ('from trove.cmd import guest_forkserver\n'
             'found = guest_forkserver.preload()\n'
             'import subprocess\n'
             'from trove.common import engines\n'
             'def no_command(*args, **kwargs):\n'
             '    raise AssertionError("ran %s" % (args,))\n'
             'subprocess.run = no_command\n'
             'again = engines.installed_engines()\n'
             'assert again == found, (again, found)\n'
             'print(sorted(engine.datastore for engine in again))\n')
    result = subprocess.run([sys.executable, '-c', probe],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert 'mariadb' in result.stdout and 'postgresql' in result.stdout


def test_warm_up_starts_the_server_before_the_first_agent(driver,
                                                          real_agent):
    driver.warm_up()
    server = agent_launcher._server
    assert server is not None and server.pid
    fails_with_its_words(driver, create(driver, 'warm-1'))
    assert agent_launcher._server is server and server.pid


def test_warm_up_starts_nothing_for_a_guest_agent_command(driver,
                                                          local_provider,
                                                          monkeypatch):
    monkeypatch.setattr(agent_launcher, '_server', None)
    driver.warm_up()        # the fixture's fake agent command is set
    assert agent_launcher._server is None
