"""API reads side by side: this trove-api, upstream trove-api and a floor.

Installs upstream ``trove==<--upstream-version>`` (default 26.0.0) from the
package index into a virtualenv of its own under ~/.cache/trove-dev/ (once;
never the project's .venv), then, in one run on the same MariaDB:

- ours: a private control DB seeded by bench/api_seed.py, ``trove-api``
  on the noauth pipeline (bench/api.py's settings);
- upstream: another private DB migrated by upstream's own
  ``trove-manage db_sync`` and given the very same rows (copied table by
  table; columns upstream lacks are left out), upstream's ``trove-api``
  with its paste pipeline minus ``authtoken`` (the identity headers are
  sent by wrk, as keystonemiddleware would set them), its best case
  ``[database] max_overflow = -1``, the same page sizes and rate limit;
- floor: bench/api_floor.py, one SELECT and ``json.dumps`` per request,
  served by granian on our DB.

All three run with the same number of workers, each on a free loopback
port; every path is measured with wrk at each ``--connections`` level,
for the three servers one after the other. Prints req/s per path and
server, ours/upstream and ours/floor, and one JSON line last. Paths
upstream cannot answer here (its instance pages ask Nova for the
servers) are reported with upstream's status and not measured.

    .venv/bin/python bench/api_upstream.py [--duration 10] [--connections 1,16]
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench import api  # noqa: E402
from bench import api_seed  # noqa: E402
from tests.helpers import databases  # noqa: E402
from tests.helpers import ports  # noqa: E402
from tests.helpers import processes  # noqa: E402
from tests.helpers import rabbit  # noqa: E402

CACHE = pathlib.Path.home() / '.cache' / 'trove-dev'
# What keystonemiddleware would leave for upstream's context filter; ours
# (noauth) reads the same names.
HEADERS = ['X-Auth-Token: bench', 'X-Tenant-Id: %s' % api_seed.PROJECT,
           'X-Project-Id: %s' % api_seed.PROJECT, 'X-User-Id: bench-user',
           'X-Role: member', 'X-Roles: member']
SEEDED_TABLES = ['datastores', 'datastore_versions', 'configurations',
                 'configuration_parameters', 'instances', 'service_statuses',
                 'instance_faults', 'backups']
UPSTREAM_CONF = """\
[DEFAULT]
bind_host = 127.0.0.1
bind_port = {port}
state_path = {state}
log_dir = {state}
use_stderr = false
api_paste_config = {state}/api-paste.ini
transport_url = {transport_url}
trove_api_workers = {workers}
{overrides}
[database]
connection = {db_url}
max_overflow = -1
"""


def upstream_venv(version):
    """The virtualenv holding upstream trove ``version``; made once."""
    venv = CACHE / ('upstream-trove-%s' % version)
    if (venv / 'bin' / 'trove-api').exists():
        return venv
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(venv, ignore_errors=True)
    print('installing upstream trove==%s into %s' % (version, venv),
          flush=True)
    # The base interpreter, not this venv's: nothing of ours leaks in.
    subprocess.run([getattr(sys, '_base_executable', sys.executable), '-m',
                    'venv', str(venv)], check=True)
    subprocess.run([str(venv / 'bin' / 'pip'), 'install', '-q',
                    'trove==%s' % version, 'PyMySQL'], check=True)
    return venv


def seed_upstream(venv, state, ours, upstream, transport_url):
    """Upstream's schema by its own db_sync, then our seeded rows."""
    config = state / 'upstream-sync.conf'
    config.write_text('[DEFAULT]\ntransport_url = %s\nlog_dir = %s\n'
                      'use_stderr = false\n[database]\nconnection = %s\n'
                      % (transport_url, state, upstream.url))
    subprocess.run([str(venv / 'bin' / 'trove-manage'), '--config-file',
                    str(config), 'db_sync'], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, PYTHONWARNINGS='ignore'))
    engine = sa.create_engine(upstream.url)
    try:
        inspector = sa.inspect(engine)
        with engine.begin() as connection:
            connection.execute(sa.text('SET FOREIGN_KEY_CHECKS = 0'))
            for table in SEEDED_TABLES:
                theirs = {c['name'] for c in inspector.get_columns(table)}
                mine = {c['name'] for c in sa.inspect(engine).get_columns(
                    table, schema=ours.name)}
                columns = ', '.join('`%s`' % c for c in sorted(theirs & mine))
                connection.execute(sa.text(
                    'INSERT INTO `%s` (%s) SELECT %s FROM `%s`.`%s`'
                    % (table, columns, columns, ours.name, table)))
            connection.execute(sa.text('SET FOREIGN_KEY_CHECKS = 1'))
    finally:
        engine.dispose()


def start_upstream(venv, state, db_url, transport_url, workers):
    port = ports.free_port()
    paste = (venv / 'etc' / 'trove' / 'api-paste.ini').read_text()
    (state / 'api-paste.ini').write_text(paste.replace(' authtoken ', ' '))
    config = state / 'upstream.conf'
    config.write_text(UPSTREAM_CONF.format(
        port=port, state=state, db_url=db_url, transport_url=transport_url,
        workers=workers, overrides='\n'.join(
            '%s = %s' % item for item in api.OVERRIDES.items())))
    process = processes.ManagedProcess(
        [str(venv / 'bin' / 'trove-api'), '--config-file', str(config)],
        str(state / 'upstream-api.out'),
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    _wait(process, port, 'upstream trove-api')
    return process, port


def start_floor(state, db_url, workers):
    port = ports.free_port()
    process = processes.ManagedProcess(
        [str(api.VENV_BIN / 'granian'), '--interface', 'wsgi',
         '--host', '127.0.0.1', '--port', str(port),
         '--workers', str(workers), '--blocking-threads', '2',
         '--runtime-threads', '1', '--http', '1', '--no-ws',
         '--backpressure', '1024', '--log-level', 'warning',
         'bench.api_floor:application'],
        str(state / 'floor.out'), cwd=str(REPO),
        env=dict(os.environ, TROVE_BENCH_FLOOR_DB=db_url.split('?')[0]))
    _wait(process, port, 'floor', probe='/v1.0/%s/datastores'
          % api_seed.PROJECT)
    return process, port


def _wait(process, port, name, probe='/'):
    def answers():
        try:
            requests.get('http://127.0.0.1:%d%s' % (port, probe), timeout=2)
            return True
        except requests.RequestException:
            return False
    processes.wait_until(lambda: answers() or not process.alive(),
                         timeout=120, message='%s did not start' % name)
    if not process.alive():
        raise RuntimeError('%s exited:\n%s' % (name, process.log_tail()))


def _status(root, url):
    try:
        response = requests.get(root + url, timeout=60, headers=dict(
            h.split(': ', 1) for h in HEADERS))
        return response.status_code
    except requests.RequestException as error:
        return str(error)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--duration', type=int, default=10)
    parser.add_argument('--connections', default='1,16')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--upstream-version', default='26.0.0')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1)
    parser.add_argument('--only', default='')
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(',')]
    api.OVERRIDES['trove_api_workers'] = args.workers
    venv = upstream_venv(args.upstream_version)
    state = pathlib.Path(tempfile.mkdtemp(prefix='trove-bench-upstream-'))
    ours_db = upstream_db = vhost = None
    servers = {}
    results = []
    try:
        ours_db = databases.TestDatabase('mysql', str(state))
        upstream_db = databases.TestDatabase('mysql', str(state))
        vhost = rabbit.RabbitVhost()
        ids = api_seed.seed(ours_db.url)
        seed_upstream(venv, state, ours_db, upstream_db, vhost.transport_url)
        (state / 'ours').mkdir()
        servers['ours'] = api.start_api(state / 'ours', ours_db.url,
                                        vhost.transport_url)
        servers['upstream'] = start_upstream(
            venv, state, upstream_db.url, vhost.transport_url, args.workers)
        servers['floor'] = start_floor(state, ours_db.url, args.workers)
        pids = {name: [p.pid] + api.workers_of(p.pid)
                for name, (p, _port) in servers.items()}
        speed = api.python_speed_ms()
        print('workers %d each; upstream trove %s (max_overflow = -1); '
              'wrk %ss per run; Python speed %.1f ms'
              % (args.workers, args.upstream_version, args.duration, speed),
              flush=True)
        base = '/v1.0/%s/' % api_seed.PROJECT
        for label, path in api.bench_paths(ids['shown_instance']):
            if args.only not in label:
                continue
            entry = {'path': label, 'url': base + path}
            for name, (_process, port) in servers.items():
                root = 'http://127.0.0.1:%d' % port
                status = _status(root, base + path)
                if status != 200:
                    entry[name] = {'status': status}
                    print('%-24s %-8s answers %s: not measured'
                          % (label, name, status), flush=True)
                    continue
                # Upstream takes seconds per page under load: a request
                # it answers late is counted, not dropped as a time-out.
                timeout = 60 if name == 'upstream' else 5
                if args.warmup:
                    api.run_wrk(root + base + path, max(connections),
                                args.warmup, pids[name], HEADERS, timeout)
                entry[name] = {}
                for count in connections:
                    figures = api.run_wrk(root + base + path, count,
                                          args.duration, pids[name], HEADERS,
                                          timeout)
                    entry[name]['c%d' % count] = figures
                    print('%-24s %-8s c=%-2d %7.1f req/s (%d done)  p50 %7.2f '
                          'ms  p99 %7.2f ms  errors %d  (steal %.0f%%)' % (
                              label, name, count, figures['rps'],
                              figures.get('requests', 0),
                              figures['p50_ms'], figures['p99_ms'],
                              figures['errors'], figures['steal_pct']),
                          flush=True)
            entry['ratios'] = ratios(entry, connections)
            results.append(entry)
    finally:
        for process, _port in servers.values():
            process.stop()
        for database in (ours_db, upstream_db):
            if database is not None:
                database.drop()
        if vhost is not None:
            vhost.delete()
        shutil.rmtree(state, ignore_errors=True)
    print()
    print('%-24s %s' % ('path', '  '.join(
        'c=%-2d ours/upstream  ours/floor' % c for c in connections)))
    for entry in results:
        print('%-24s %s' % (entry['path'], '  '.join(
            '     %14s  %10s' % (
                _fmt(entry['ratios'].get('c%d_ours_upstream' % c)),
                _fmt(entry['ratios'].get('c%d_ours_floor' % c)))
            for c in connections)))
    print(json.dumps({'benchmark': 'api_upstream', 'control_db': 'mariadb',
                      'upstream': args.upstream_version,
                      'workers': args.workers, 'python_speed_ms': speed,
                      'duration_s': args.duration, 'paths': results}))


def ratios(entry, connections):
    out = {}
    for count in connections:
        key = 'c%d' % count
        ours = entry.get('ours', {}).get(key)
        for other in ('upstream', 'floor'):
            theirs = entry.get(other, {}).get(key)
            if ours and theirs and theirs['rps']:
                out['%s_ours_%s' % (key, other)] = round(
                    ours['rps'] / theirs['rps'], 3)
    return out


def _fmt(value):
    return '-' if value is None else '%.2f' % value


if __name__ == '__main__':
    main()
