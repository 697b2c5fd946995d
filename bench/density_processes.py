"""What the processes of a density run cost (memory, CPU, the machine's
memory and load), and the run's pids, stopped by pid when it ends."""

import os
import signal
import time

import psutil

from bench import provisioning
from trove.common import daemon
from trove.compute.local import processes


class Interrupted(Exception):
    """SIGTERM (or SIGHUP) received: unwind and clean up."""


def interrupt(signum, _frame):
    raise Interrupted('signal %d' % signum)


# Processes ------------------------------------------------------------------
class Pids:
    """Every process seen for the run, by pid and start time (a pid
    reused by another program is never signalled), to stop by pid what
    ``trove-local down`` would leave."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.seen = {}

    def scan(self):
        """Remember the run's processes alive now: those whose command
        line names the state dir, the pids of its pid files, and all
        their descendants (an engine's forked helpers)."""
        roots = set()
        for process in psutil.process_iter(['pid', 'cmdline']):
            try:
                if self.state_dir in ' '.join(process.info['cmdline']
                                              or []):
                    roots.add(process.info['pid'])
            except psutil.Error:
                continue
        run_dir = os.path.join(self.state_dir, 'run')
        if os.path.isdir(run_dir):
            for name in os.listdir(run_dir):
                if name.endswith('.pid'):
                    pid = daemon.read_pid(os.path.join(run_dir, name))
                    if pid:
                        roots.add(pid)
        for instance_dir in processes.instance_dirs(
                os.path.join(self.state_dir, 'instances')):
            roots.update(processes.instance_pids(instance_dir))
        for pid in list(roots) + processes.descendants(list(roots)):
            try:
                self.seen.setdefault(pid, psutil.Process(pid).create_time())
            except psutil.Error:
                continue

    def alive(self):
        found = []
        for pid, started in self.seen.items():
            try:
                process = psutil.Process(pid)
                if (process.create_time() == started
                        and process.status() != psutil.STATUS_ZOMBIE):
                    found.append(pid)
            except psutil.Error:
                continue
        return sorted(found)

    def stop_leftovers(self, timeout=15.0):
        """SIGTERM, then SIGKILL, every remembered process still alive;
        the pids that were."""
        left = self.alive()
        for signum in (signal.SIGTERM, signal.SIGKILL):
            for pid in self.alive():
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + timeout / 2
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.2)
        return left


def _memory_kb(pid):
    """(RSS, PSS) of a live process in kB (PSS: RSS without
    smaps_rollup)."""
    rss = pss = 0
    try:
        with open('/proc/%d/status' % pid) as status:
            for line in status:
                if line.startswith('VmRSS:'):
                    rss = int(line.split()[1])
        pss = rss
        with open('/proc/%d/smaps_rollup' % pid) as rollup:
            for line in rollup:
                if line.startswith('Pss:'):
                    pss = int(line.split()[1])
                    break
    except OSError:
        pass
    return rss, pss


def instance_memory(system, instances):
    """{kind: {'processes', 'rss_mb', 'pss_mb'}} for 'agent <datastore>'
    and 'engine <datastore>' over every instance."""
    totals = {}
    for instance_id, datastore in instances.items():
        instance_dir = system.instance_dir(instance_id)
        agent = processes.agent_pid(instance_dir)
        engine = [pid for pid in processes.instance_pids(instance_dir)
                  if pid != agent]
        engine += processes.descendants(engine)
        for kind, pids in (('agent', [agent] if agent else []),
                           ('engine', engine)):
            entry = totals.setdefault('%s %s' % (kind, datastore),
                                      {'processes': 0, 'rss_kb': 0,
                                       'pss_kb': 0, 'instances': 0})
            entry['instances'] += 1
            for pid in pids:
                rss, pss = _memory_kb(pid)
                entry['processes'] += 1
                entry['rss_kb'] += rss
                entry['pss_kb'] += pss
    return {kind: {'instances': entry['instances'],
                   'processes': entry['processes'],
                   'rss_mb': round(entry['rss_kb'] / 1024.0, 1),
                   'pss_mb': round(entry['pss_kb'] / 1024.0, 1),
                   'pss_mb_each': round(entry['pss_kb'] / 1024.0
                                        / max(entry['instances'], 1), 1)}
            for kind, entry in sorted(totals.items())}


def _cpu_of(pids):
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def cpu_seconds(system, instances):
    """CPU seconds so far of the guest agents, of the engines (with the
    processes they forked) and of the control-plane services."""
    agents, engines = [], []
    for instance_id in instances:
        instance_dir = system.instance_dir(instance_id)
        agent = processes.agent_pid(instance_dir)
        engine = [pid for pid in processes.instance_pids(instance_dir)
                  if pid != agent]
        agents += [agent] if agent else []
        engines += engine + processes.descendants(engine)
    run_dir = os.path.join(system.state_dir, 'run')
    services = []
    for name in os.listdir(run_dir):
        if name.startswith('trove-') and name.endswith('.pid'):
            pid = daemon.read_pid(os.path.join(run_dir, name))
            if pid:
                services += [pid] + processes.descendants([pid])
    return {'agents': _cpu_of(agents), 'engines': _cpu_of(engines),
            'services': _cpu_of(services)}


def services_memory(state_dir):
    """RSS in MB of each control-plane service with its workers."""
    figures = {}
    run_dir = os.path.join(state_dir, 'run')
    for name in sorted(os.listdir(run_dir)):
        if not (name.startswith('trove-') and name.endswith('.pid')):
            continue
        pid = daemon.read_pid(os.path.join(run_dir, name))
        if pid:
            figures[name[:-len('.pid')]] = provisioning.rss_mb(
                [pid] + processes.descendants([pid]))
    return figures


def meminfo_mb():
    values = {}
    with open('/proc/meminfo') as meminfo:
        for line in meminfo:
            key, value = line.split(':', 1)
            values[key] = int(value.split()[0]) // 1024
    return {'total': values['MemTotal'], 'free': values['MemFree'],
            'available': values['MemAvailable']}


def loadavg():
    with open('/proc/loadavg') as load:
        return [float(value) for value in load.read().split()[:3]]


# The API ------------------------------------------------------------------------
