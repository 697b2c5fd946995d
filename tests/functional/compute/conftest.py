"""Fixtures of the local compute provider tests: private server and volume
dirs, a private address pool and a fake guest agent command."""

import os
import random
import sys

import pytest

from trove.compute.local import compute, processes, volume
from trove.conf import CONF

FAKE_GUEST = os.path.join(os.path.dirname(__file__), 'fake_guest.py')


def fake_guest_command(*args):
    return ' '.join([sys.executable, FAKE_GUEST] + list(args))


@pytest.fixture
def local_provider(world_tmp_dir):
    """CONF pointing the local provider at throwaway dirs and a random /28
    of loopback addresses; every process is stopped after. Yields the
    servers' directory."""
    instances_dir = str(world_tmp_dir / 'instances')
    CONF.set_override('instances_dir', instances_dir, group='local')
    CONF.set_override('volumes_dir', str(world_tmp_dir / 'volumes'),
                      group='local')
    CONF.set_override('address_pool', '127.77.%d.0/28'
                      % random.randint(1, 254), group='local')
    CONF.set_override('guest_agent_command', fake_guest_command(),
                      group='local')
    CONF.set_override('server_delete_time_out', 10)
    yield instances_dir
    for server_dir in processes.instance_dirs(instances_dir):
        processes.stop_instance_processes(server_dir, timeout=5)
    for name in ('instances_dir', 'volumes_dir', 'address_pool',
                 'guest_agent_command', 'guest_start_timeout'):
        CONF.clear_override(name, group='local')
    CONF.clear_override('server_delete_time_out')


@pytest.fixture
def driver(local_provider):
    return compute.LocalComputeDriver()


@pytest.fixture
def volumes(local_provider):
    return volume.LocalVolumeDriver()
