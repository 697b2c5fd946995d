"""Guest agent memory: the RSS (and PSS) of a running agent per datastore.

Runs the whole system (trove-local: every service its own process, a
private RabbitMQ vhost, its state in a temporary directory), creates one
MariaDB and one PostgreSQL instance, waits until both are ACTIVE and have
had a few heartbeats, then reads the memory of each instance's guest agent
process (``trove-guestagent``, the engine aside):

* RSS: ``VmRSS`` of /proc/<pid>/status (what the target is about: under
  40 MB);
* PSS: ``Pss`` of /proc/<pid>/smaps_rollup when the kernel has it (the
  shared pages, libpython and the extension modules, divided among the
  agents that map them: the cost of one more agent on a machine of many).

The last line printed is one JSON object with every figure.

    .venv/bin/python bench/agent_memory.py [--settle 10] [--samples 5]
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e import system as e2e  # noqa: E402
from trove.compute.local import processes  # noqa: E402

TARGET_RSS_MB = 40.0
DATASTORES = ('mariadb', 'postgresql')


def _status_kb(pid, field):
    with open('/proc/%d/status' % pid) as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return None


def _pss_kb(pid):
    """Pss of the whole process, or None without smaps_rollup."""
    try:
        with open('/proc/%d/smaps_rollup' % pid) as rollup:
            for line in rollup:
                if line.startswith('Pss:'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def memory_mb(pid):
    """(RSS, PSS or None, threads) of a live process, in MB."""
    rss = _status_kb(pid, 'VmRSS')
    pss = _pss_kb(pid)
    threads = _status_kb(pid, 'Threads')
    return (round(rss / 1024.0, 1),
            round(pss / 1024.0, 1) if pss is not None else None, threads)


def agent_pid(system, instance_id):
    pid = processes.agent_pid(system.instance_dir(instance_id))
    if pid is None:
        raise AssertionError('instance %s has no live guest agent'
                             % instance_id)
    with open('/proc/%d/cmdline' % pid, 'rb') as cmdline:
        argv = cmdline.read().split(b'\0')
    if not any(b'trove-guestagent' in arg or b'trove.cmd.guest' in arg
               for arg in argv):
        raise AssertionError('pid %d of instance %s is not a guest agent: '
                             '%r' % (pid, instance_id, argv))
    return pid


def sample(pid, samples, interval):
    """The median RSS and PSS of ``samples`` readings ``interval`` apart
    (the agent's heartbeats and periodic tasks run in between)."""
    readings = []
    for index in range(samples):
        if index:
            time.sleep(interval)
        readings.append(memory_mb(pid))
    rss = statistics.median(r[0] for r in readings)
    pss_values = [r[1] for r in readings if r[1] is not None]
    pss = statistics.median(pss_values) if pss_values else None
    return {'pid': pid, 'rss_mb': rss, 'pss_mb': pss,
            'rss_max_mb': max(r[0] for r in readings),
            'threads': readings[-1][2]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--settle', type=float, default=10.0,
                        help='Seconds to let the agents run (heartbeats) '
                             'after ACTIVE before reading.')
    parser.add_argument('--samples', type=int, default=5)
    parser.add_argument('--interval', type=float, default=2.0,
                        help='Seconds between two readings.')
    parser.add_argument('--datastores', default=','.join(DATASTORES))
    args = parser.parse_args()

    results = {'benchmark': 'agent_memory', 'target_rss_mb': TARGET_RSS_MB,
               'smaps_rollup': os.path.exists('/proc/self/smaps_rollup')}
    with e2e.temporary_system('trove-bench-agent-') as system:
        system.up()
        client = system.client('bench')
        created = {}
        for datastore in args.datastores.split(','):
            created[datastore] = client.instances.create(
                'bench-agent-%s' % datastore, flavor_id='1',
                volume={'size': 1}, datastore=datastore).id
        for datastore, instance_id in created.items():
            e2e.wait_for_instance(client, instance_id, system=system)
        time.sleep(args.settle)
        for datastore, instance_id in created.items():
            figures = sample(agent_pid(system, instance_id), args.samples,
                             args.interval)
            figures['within_target'] = figures['rss_mb'] < TARGET_RSS_MB
            results[datastore] = figures
            print('%-10s guest agent RSS %5.1f MB (max %.1f)  PSS %s  '
                  'threads %d  (target: RSS < %.0f MB: %s)' % (
                      datastore, figures['rss_mb'], figures['rss_max_mb'],
                      '%.1f MB' % figures['pss_mb']
                      if figures['pss_mb'] is not None else 'n/a',
                      figures['threads'], TARGET_RSS_MB,
                      'met' if figures['within_target'] else 'MISSED'),
                  flush=True)
        for instance_id in created.values():
            client.instances.delete(instance_id)
        for instance_id in created.values():
            e2e.wait_for_deleted(client, instance_id)
    print(json.dumps(results))


if __name__ == '__main__':
    main()
