"""Database schemas of the OpenStack test stack, made at template build.

Each service's own manage command migrates its database; the five run at
once (Nova's, ~30 s, is the longest). Nova's cells are mapped with URL
templates that Nova fills from its own [database] connection and
transport_url, so a template copied to other ports needs no new mapping.

Only the template build calls this; it never drops anything.
"""

import concurrent.futures
import os

from trove.localenv import external
from trove.localenv.openstack import configs

TIMEOUT = 600
# Filled by Nova from nova.conf at each use (nova.objects.cell_mapping).
CELL1_DATABASE = '{scheme}://{username}:{password}@{hostname}:{port}/{path}?{query}'
CELL0_DATABASE = '{scheme}://{username}:{password}@{hostname}:{port}/nova_cell0?{query}'
CELL_TRANSPORT = '{scheme}://{username}:{password}@{hostname}:{port}/{path}'


def _conf(ctx, service, name):
    return os.path.join(configs.config_dir(ctx, service), name)


def _bin(ctx, name):
    return os.path.join(ctx.venv_dir, 'bin', name)


def commands(ctx):
    """{service: [command, ...]}: each list runs in order."""
    nova = [_bin(ctx, 'nova-manage'), '--config-file',
            _conf(ctx, 'nova', 'nova.conf')]
    return {
        'placement': [[_bin(ctx, 'placement-manage'), '--config-file',
                       _conf(ctx, 'placement', 'placement.conf'), 'db',
                       'sync']],
        'glance': [[_bin(ctx, 'glance-manage'), '--config-file',
                    _conf(ctx, 'glance', 'glance-api.conf'), 'db_sync']],
        'neutron': [[_bin(ctx, 'neutron-db-manage'), '--config-file',
                     _conf(ctx, 'neutron', 'neutron.conf'), '--config-file',
                     _conf(ctx, 'neutron', 'ml2_conf.ini'), 'upgrade',
                     'heads']],
        'cinder': [[_bin(ctx, 'cinder-manage'), '--config-file',
                    _conf(ctx, 'cinder', 'cinder.conf'), 'db', 'sync']],
        'nova': [nova + ['api_db', 'sync'],
                 nova + ['cell_v2', 'map_cell0', '--database_connection',
                         CELL0_DATABASE],
                 nova + ['cell_v2', 'create_cell', '--name', 'cell1',
                         '--database_connection', CELL1_DATABASE,
                         '--transport-url', CELL_TRANSPORT],
                 nova + ['db', 'sync']],
    }


def _run_sequence(ctx, sequence):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'PYTHON'))}
    for command in sequence:
        external.run(command, timeout=TIMEOUT, env=env, cwd=ctx.state_dir)


def run_all(ctx):
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        futures = [pool.submit(_run_sequence, ctx, sequence)
                   for sequence in commands(ctx).values()]
        for future in futures:
            future.result()


def discover_compute_hosts(ctx):
    """Map the compute host into cell1 now instead of at the scheduler's
    next periodic discovery."""
    external.run([_bin(ctx, 'nova-manage'), '--config-file',
                  _conf(ctx, 'nova', 'nova.conf'), 'cell_v2',
                  'discover_hosts', '--verbose'], timeout=TIMEOUT)
