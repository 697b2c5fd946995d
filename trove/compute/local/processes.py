"""The processes of local instances, found from their pid files.

Everything started for an instance (guest agent, engine) writes a pid
file into ``<instance dir>/run/``; that is how they are found again after
any restart, and how deleting an instance stops all of them.
"""

import glob
import os

from trove.common import daemon


def instance_dirs(instances_dir):
    if not os.path.isdir(instances_dir):
        return []
    return sorted(path for path in glob.glob(os.path.join(instances_dir, '*'))
                  if os.path.isdir(path))


def run_dir(instance_dir):
    return os.path.join(instance_dir, 'run')


def instance_pids(instance_dir):
    """Live pids recorded under the instance's run directory."""
    pids = []
    for pid_path in glob.glob(os.path.join(run_dir(instance_dir), '*.pid')):
        pid = daemon.read_pid(pid_path)
        if daemon.pid_alive(pid) and pid not in pids:
            pids.append(pid)
    return pids


def stop_instance_processes(instance_dir, timeout=15.0):
    """Stop every live process of an instance; returns their pids."""
    stopped = []
    for pid in instance_pids(instance_dir):
        daemon.terminate(pid, timeout=timeout)
        stopped.append(pid)
    return stopped
