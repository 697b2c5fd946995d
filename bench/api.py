"""API read throughput: trove-api on a MariaDB control DB, driven by wrk.

Seeds a MariaDB control database for one project (bench/api_seed.py:
1,000 instances with statuses, 1,000 backups, 100 configuration groups,
no engine running), starts ``trove-api`` with its default workers
(``trove_api_workers`` unset: one per CPU) on the noauth pipeline, and
drives it with ``wrk`` (keep-alive) at each ``--connections`` level for
``--duration`` seconds per path:

    GET /instances, /instances/detail, /instances/{id}, /datastores,
    /backups, /backups?limit=100, /configurations

Figures per path: requests/s, p50/p99 latency, errors (non-2xx, socket
errors, timeouts), wrk's own CPU (it must not be the bottleneck), and the
SQL statements of one request at limit=20 and limit=100, counted in this
process through the same pipeline (bench/api_seed.py).

Two settings differ from the defaults, both for the benchmark's sake:
``http_get_rate`` is raised so the rate limiter (which still runs) does
not refuse the load, and the page sizes of instances, backups and
configurations are 100 so ``limit=100`` really returns 100 rows; the
20-row paths therefore ask for ``limit=20``, the default page size.
The database pool keeps its defaults (oslo.db ``max_pool_size`` etc.).

Each path gets ``--warmup`` seconds of load before it is measured (a
worker's first requests connect and compile statements). The run also
prints how fast this machine runs a fixed pure-Python loop right now
("Python speed"): machines of one kind differ, so compare figures of two
runs only together with it.

The last line printed is one JSON object with every figure.

    .venv/bin/python bench/api.py [--duration 10] [--connections 1,16]
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402

from bench import api_seed  # noqa: E402
from tests.helpers import databases  # noqa: E402
from tests.helpers import ports  # noqa: E402
from tests.helpers import processes  # noqa: E402
from tests.helpers import rabbit  # noqa: E402

VENV_BIN = pathlib.Path(sys.executable).parent
PAGE_SIZE = 100
OVERRIDES = {
    'http_get_rate': 100000000,
    'instances_page_size': PAGE_SIZE,
    'backups_page_size': PAGE_SIZE,
    'configurations_page_size': PAGE_SIZE,
}
LIST_PATHS = ['instances', 'instances/detail', 'backups', 'configurations']
TARGET_RPS, TARGET_P99_MS, TARGET_STATEMENTS = 500, 100.0, 3

CONF_TEMPLATE = """\
[DEFAULT]
auth_strategy = noauth
bind_host = 127.0.0.1
bind_port = {port}
state_path = {state}
log_dir = {state}
use_stderr = false
transport_url = {transport_url}
{overrides}
[database]
connection = {db_url}
"""


def bench_paths(shown_instance):
    """(label, path under the project) of the seven measured requests."""
    return [
        ('GET /instances', 'instances?limit=20'),
        ('GET /instances/detail', 'instances/detail?limit=20'),
        ('GET /instances/{id}', 'instances/%s' % shown_instance),
        ('GET /datastores', 'datastores'),
        ('GET /backups', 'backups?limit=20'),
        ('GET /backups?limit=100', 'backups?limit=100'),
        ('GET /configurations', 'configurations?limit=20'),
    ]


def start_api(state, db_url, transport_url):
    port = ports.free_port()
    config = state / 'trove.conf'
    config.write_text(CONF_TEMPLATE.format(
        port=port, state=state, db_url=db_url, transport_url=transport_url,
        overrides='\n'.join('%s = %s' % item for item in OVERRIDES.items())))
    process = processes.ManagedProcess(
        [str(VENV_BIN / 'trove-api'), '--config-file', str(config)],
        str(state / 'trove-api.out'),
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    processes.wait_until(lambda: _answers(port) or not process.alive(),
                         timeout=60, message='trove-api did not start')
    if not process.alive():
        raise RuntimeError('trove-api exited:\n' + process.log_tail())
    return process, port


def _answers(port):
    try:
        return requests.get('http://127.0.0.1:%d/' % port,
                            timeout=2).status_code == 200
    except requests.RequestException:
        return False


def workers_of(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as children:
            return [int(p) for p in children.read().split()]
    except OSError:
        return []


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


_UNITS = {'us': 0.001, 'ms': 1.0, 's': 1000.0, 'm': 60000.0}


def _ms(text):
    match = re.match(r'([\d.]+)(us|ms|s|m)$', text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output):
    figures = {'errors': 0}
    for line in output.splitlines():
        line = line.strip()
        if line.startswith('Requests/sec:'):
            figures['rps'] = round(float(line.split()[1]), 1)
        elif re.match(r'(50|99)(\.000)?% ', line):
            key = 'p50_ms' if line.startswith('50') else 'p99_ms'
            figures[key] = round(_ms(line.split()[1]), 2)
        elif line.startswith('Non-2xx or 3xx responses:'):
            figures['errors'] += int(line.split(':')[1])
        elif line.startswith('Socket errors:'):
            figures['errors'] += sum(int(n) for n in re.findall(r'\d+', line))
        elif re.match(r'\d+ requests in', line):
            figures['requests'] = int(line.split()[0])
    return figures


def machine_ticks():
    """Per-state CPU ticks of the whole machine (/proc/stat: user, nice,
    system, idle, iowait, irq, softirq, steal)."""
    with open('/proc/stat') as stat:
        return [int(n) for n in stat.readline().split()[1:9]]


def steal_pct(before, after):
    """% of the machine's CPU time the hypervisor gave to other guests
    between two machine_ticks() readings: CPU this run could not use."""
    delta = [b - a for a, b in zip(before, after)]
    return round(100 * delta[7] / max(1, sum(delta)), 1)


def run_wrk(url, connections, duration, server_pids, headers=(),
            timeout=5):
    """wrk's figures, its own CPU use and the server's, as % of a core,
    and the machine's steal time."""
    threads = min(2, connections)
    server_before = sum(cpu_seconds(p) for p in server_pids)
    machine_before = machine_ticks()
    started = time.monotonic()
    process = subprocess.Popen(
        ['wrk', '-t%d' % threads, '-c%d' % connections,
         '-d%ds' % duration, '--timeout', '%ds' % timeout, '--latency',
         '-H', 'Accept: application/json']
        + [arg for header in headers for arg in ('-H', header)] + [url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    if process.returncode != 0 or 'Requests/sec' not in output:
        raise RuntimeError('wrk failed:\n' + output)
    figures = parse_wrk(output)
    figures['wrk_cpu_pct'] = round(
        100 * (usage.ru_utime + usage.ru_stime) / elapsed, 1)
    figures['api_cpu_pct'] = round(100 * (sum(
        cpu_seconds(p) for p in server_pids) - server_before) / elapsed, 1)
    figures['steal_pct'] = steal_pct(machine_before, machine_ticks())
    return figures


def python_speed_ms():
    """Best of 5 runs of a fixed pure-Python loop, in ms: how fast this
    machine runs Python now (shared cloud machines of one kind differ by
    half), so figures from different runs can be compared."""
    best = None
    for _ in range(5):
        started = time.process_time()
        total = 0
        for number in range(300000):
            total += number * number % 7
        elapsed = (time.process_time() - started) * 1000
        best = elapsed if best is None else min(best, elapsed)
    return round(best, 1)


def check_targets(results, connections):
    low, high = min(connections), max(connections)
    failed = []
    for entry in results:
        label, c_high = entry['path'], entry['c%d' % high]
        if c_high['errors']:
            failed.append('%s: %d errors' % (label, c_high['errors']))
        if entry['c%d' % low]['errors']:
            failed.append('%s: errors at c=%d' % (label, low))
        if high > low and c_high['rps'] <= entry['c%d' % low]['rps']:
            failed.append('%s: c=%d not faster than c=%d' % (label, high,
                                                             low))
        if not entry['list']:
            continue
        if c_high['rps'] < TARGET_RPS or c_high['p99_ms'] >= TARGET_P99_MS:
            failed.append('%s: %.0f req/s, p99 %.1f ms at c=%d'
                          % (label, c_high['rps'], c_high['p99_ms'], high))
        statements = entry['sql_statements']
        if (max(statements.values()) > TARGET_STATEMENTS
                or len(set(statements.values())) > 1):
            failed.append('%s: SQL statements %s' % (label, statements))
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--duration', type=int, default=10)
    parser.add_argument('--connections', default='1,16')
    parser.add_argument('--warmup', type=int, default=2,
                        help='seconds of load on each path before it is '
                             'measured (0: none)')
    parser.add_argument('--only', default='',
                        help='measure only the paths whose label contains '
                             'this text (e.g. "/backups")')
    parser.add_argument('--set', action='append', default=[],
                        metavar='OPT=VAL',
                        help='another trove.conf option of [DEFAULT] for '
                             'trove-api (e.g. trove_api_workers=4)')
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(',')]
    OVERRIDES.update(option.split('=', 1) for option in args.set)
    state = pathlib.Path(tempfile.mkdtemp(prefix='trove-bench-api-'))
    database = databases.TestDatabase('mysql', str(state))
    vhost = rabbit.RabbitVhost()
    process = None
    results = []
    try:
        ids = api_seed.seed(database.url)
        paths = [(label, path) for label, path
                 in bench_paths(ids['shown_instance'])
                 if args.only in label]
        base = '/v1.0/%s/' % api_seed.PROJECT
        # Each paged path is counted at both page sizes.
        counted_urls = set()
        for _label, path in paths:
            counted_urls.add(base + path)
            if 'limit=' in path:
                for size in ('limit=20', 'limit=100'):
                    counted_urls.add(base + re.sub(r'limit=\d+', size, path))
        counted = api_seed.count_statements(
            database.url, state, sorted(counted_urls), OVERRIDES)
        process, port = start_api(state, database.url,
                                  vhost.transport_url)
        server_pids = [process.pid] + workers_of(process.pid)
        root = 'http://127.0.0.1:%d' % port
        speed = python_speed_ms()
        print('trove-api: %d workers; MariaDB control DB; wrk %ss per run; '
              'Python speed %.1f ms (lower is faster)'
              % (len(server_pids) - 1, args.duration, speed), flush=True)
        for label, path in paths:
            status, rows, statements = counted[base + path]
            if status != 200:
                raise RuntimeError('%s answered %d' % (label, status))
            entry = {'path': label, 'url': base + path, 'rows': rows,
                     'list': any(path.startswith(p + '?') or path == p
                                 for p in LIST_PATHS)}
            if 'limit=' in path:
                entry['sql_statements'] = {
                    size: counted[base + re.sub(r'limit=\d+', size,
                                                path)][2]
                    for size in ('limit=20', 'limit=100')}
            else:
                entry['sql_statements'] = {'one': statements}
            if args.warmup:
                # The first requests of a worker connect to the database
                # and compile statements: not the steady state measured.
                run_wrk(root + base + path, max(connections), args.warmup,
                        server_pids)
            for count in connections:
                figures = run_wrk(root + base + path, count, args.duration,
                                  server_pids)
                entry['c%d' % count] = figures
                print('%-24s %3d rows %s SQL; c=%-2d %7.1f req/s  p50 %6.2f '
                      'ms  p99 %6.2f ms  errors %d  (wrk CPU %.0f%%, API '
                      'CPU %.0f%%, steal %.0f%%)' % (
                          label, rows, '/'.join(
                              str(v) for v in entry['sql_statements']
                              .values()), count, figures['rps'],
                          figures['p50_ms'], figures['p99_ms'],
                          figures['errors'], figures['wrk_cpu_pct'],
                          figures['api_cpu_pct'], figures['steal_pct']),
                      flush=True)
            results.append(entry)
        still_answers = _answers(port)
    finally:
        if process is not None:
            process.stop()
        database.drop()
        vhost.delete()
    failed = check_targets(results, connections)
    if not still_answers:
        failed.append('trove-api stopped answering after the runs')
    for line in failed:
        print('target missed: ' + line, flush=True)
    summary = {'benchmark': 'api', 'control_db': 'mariadb',
               'workers': len(server_pids) - 1,
               'python_speed_ms': speed,
               'duration_s': args.duration, 'overrides': OVERRIDES,
               'paths': results, 'targets_met': not failed,
               'targets_missed': failed}
    shutil.rmtree(state, ignore_errors=True)
    print(json.dumps(summary))


if __name__ == '__main__':
    main()
