"""The processes of local instances, found from their pid files.

Everything started for an instance (guest agent, engine) writes a pid
file into ``<instance dir>/run/``; that is how they are found again after
any restart, and how deleting an instance stops all of them.
"""

import glob
import os
import signal
import time

from trove.common import daemon

AGENT_PID_FILE = 'guest.pid'


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
    for pid_path in sorted(glob.glob(os.path.join(run_dir(instance_dir),
                                                  '*.pid'))):
        pid = daemon.read_pid(pid_path)
        if daemon.pid_alive(pid) and pid not in pids:
            pids.append(pid)
    return pids


def agent_pid(instance_dir):
    """The guest agent's pid if it is alive, else None."""
    pid = daemon.read_pid(os.path.join(run_dir(instance_dir),
                                       AGENT_PID_FILE))
    return pid if daemon.pid_alive(pid) else None


def _signal(pid, signum, group=False):
    """Signal a process; with ``group``, its whole process group when it
    leads one (daemon.spawn makes every program a session leader, and an
    engine's helper processes share its group)."""
    try:
        if group and os.getpgid(pid) == pid:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _wait_dead(pids, deadline):
    while time.monotonic() < deadline:
        pids = [pid for pid in pids if daemon.pid_alive(pid)]
        if not pids:
            return []
        time.sleep(0.1)
    return [pid for pid in pids if daemon.pid_alive(pid)]


def terminate_all(pids, timeout):
    """SIGTERM ``pids`` together, SIGKILL (with their process groups)
    whatever outlives ``timeout``; returns the pids still alive."""
    pids = [pid for pid in pids if daemon.pid_alive(pid)]
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    # Keep a few seconds of the deadline for the SIGKILL round.
    grace = max(timeout - 5.0, timeout / 2.0)
    survivors = _wait_dead(pids, time.monotonic() + grace)
    for pid in survivors:
        _signal(pid, signal.SIGKILL, group=True)
    return _wait_dead(survivors, time.monotonic() + max(timeout - grace,
                                                         1.0))


def stop_agent(instance_dir, timeout=15.0):
    """Stop only the guest agent (its engine keeps running)."""
    pid = agent_pid(instance_dir)
    if pid is None:
        return []
    return terminate_all([pid], timeout)


def stop_instance_processes(instance_dir, timeout=15.0):
    """Stop every live process of an instance within ``timeout``: the
    agent first (so it does not restart or report on its engine), then
    everything else. Returns the pids it signalled; callers check
    ``instance_pids`` afterwards for any that would not die."""
    deadline = time.monotonic() + timeout
    stopped = []
    agent = agent_pid(instance_dir)
    if agent is not None:
        terminate_all([agent], min(10.0, timeout / 2.0))
        stopped.append(agent)
    others = [pid for pid in instance_pids(instance_dir)
              if pid not in stopped]
    terminate_all(others, max(deadline - time.monotonic(), 1.0))
    return stopped + others


def descendants(pids):
    """Every live descendant of ``pids`` (from /proc), so nothing an
    engine forked survives a fence."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as stat:
                # The command may hold spaces and parentheses: the fields
                # after the last ')' are fixed.
                fields = stat.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, queue = [], list(pids)
    while queue:
        for child in children.get(queue.pop(), []):
            if child not in found and child not in pids:
                found.append(child)
                queue.append(child)
    return found


def kill_instance_processes(instance_dir, timeout=10.0):
    """Fence: SIGKILL the agent, the engine and everything they started,
    at once (no grace: a stopped or hung engine gets no chance to take a
    write). Returns the pids still alive after ``timeout``."""
    pids = instance_pids(instance_dir)
    everything = pids + descendants(pids)
    for pid in everything:
        _signal(pid, signal.SIGKILL, group=True)
    return _wait_dead(everything, time.monotonic() + timeout)
