"""API scale-out: the list rate with one API worker against two per core pair.

The seed, server and load of ``bench/api.py`` (its helpers): one MariaDB
control database seeded by ``bench/api_seed.py``, ``trove-api`` on the
noauth pipeline with the same overrides, driven by ``wrk`` at
``--connections`` for ``--duration`` seconds per list path after a
warm-up. The server is started with ``trove_api_workers = 1``, then with
two worker processes per pair of cores (the default on two cores: one per
CPU), alternating ``--repeats`` times (this machine's speed drifts within
minutes); the medians per path give the ratio. Target: with two processes
per core pair the list rate does not fall (ratio >= 1.0 on every list
path) and no request fails.

The last line printed is one JSON object with every figure.

    .venv/bin/python bench/api_workers.py [--duration 8] [--connections 16]
        [--repeats 2]
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import api as api_bench  # noqa: E402
from bench import api_seed  # noqa: E402
from tests.helpers import databases  # noqa: E402
from tests.helpers import rabbit  # noqa: E402

TARGET_RATIO = 1.0
LIST_LABELS = ('GET /instances', 'GET /instances/detail', 'GET /backups',
               'GET /backups?limit=100', 'GET /configurations')


def two_per_core_pair():
    return 2 * max(1, (os.cpu_count() or 2) // 2)


def measure(workers, paths, args, state, database, vhost):
    """{label: wrk figures} with ``workers`` API worker processes."""
    api_bench.OVERRIDES['trove_api_workers'] = workers
    process, port = api_bench.start_api(state, database.url,
                                        vhost.transport_url)
    try:
        server_pids = [process.pid] + api_bench.workers_of(process.pid)
        if len(server_pids) - 1 != workers:
            raise RuntimeError('trove-api runs %d workers, not %d'
                               % (len(server_pids) - 1, workers))
        root = 'http://127.0.0.1:%d' % port
        figures = {}
        for label, url in paths:
            if args.warmup:
                api_bench.run_wrk(root + url, args.connections, args.warmup,
                                  server_pids)
            figures[label] = api_bench.run_wrk(
                root + url, args.connections, args.duration, server_pids)
            print('%d worker(s) %-24s c=%d %7.1f req/s  p99 %6.2f ms  '
                  'errors %d  (API CPU %.0f%%, wrk CPU %.0f%%)'
                  % (workers, label, args.connections,
                     figures[label]['rps'], figures[label]['p99_ms'],
                     figures[label]['errors'], figures[label]['api_cpu_pct'],
                     figures[label]['wrk_cpu_pct']), flush=True)
        return figures
    finally:
        process.stop()


def summarise(runs, paths, many):
    """Per path: the median rate with one worker and with ``many``, the
    ratio and whether any request failed."""
    lines = []
    for label, _url in paths:
        rates = {n: statistics.median(run['paths'][label]['rps']
                                      for run in runs if run['workers'] == n)
                 for n in (1, many)}
        errors = sum(run['paths'][label]['errors'] for run in runs)
        lines.append({'path': label, 'one_worker_rps': rates[1],
                      'many_workers_rps': rates[many],
                      'ratio': round(rates[many] / rates[1], 2),
                      'errors': errors})
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--duration', type=int, default=8)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--connections', type=int, default=16)
    parser.add_argument('--repeats', type=int, default=2)
    args = parser.parse_args()
    many = two_per_core_pair()
    state = pathlib.Path(tempfile.mkdtemp(prefix='trove-bench-apiw-'))
    database = databases.TestDatabase('mysql', str(state))
    vhost = rabbit.RabbitVhost()
    runs = []
    try:
        ids = api_seed.seed(database.url)
        base = '/v1.0/%s/' % api_seed.PROJECT
        paths = [(label, base + path) for label, path
                 in api_bench.bench_paths(ids['shown_instance'])
                 if label in LIST_LABELS]
        print('%d CPUs: 1 API worker against %d; MariaDB control DB; wrk '
              '%d s per path at c=%d; Python speed %.1f ms'
              % (os.cpu_count(), many, args.duration, args.connections,
                 api_bench.python_speed_ms()), flush=True)
        for _repeat in range(args.repeats):
            for workers in (1, many):
                runs.append({'workers': workers,
                             'paths': measure(workers, paths, args, state,
                                              database, vhost)})
    finally:
        database.drop()
        vhost.delete()
        shutil.rmtree(state, ignore_errors=True)
    lines = summarise(runs, paths, many)
    missed = [line['path'] for line in lines
              if line['ratio'] < TARGET_RATIO or line['errors']]
    for line in lines:
        print('%-24s 1 worker %7.1f req/s, %d workers %7.1f req/s: %.2fx, '
              '%d errors' % (line['path'], line['one_worker_rps'], many,
                             line['many_workers_rps'], line['ratio'],
                             line['errors']), flush=True)
    print('list rate, %d workers (two per core pair) / 1 worker: '
          '%.2f-%.2fx (target: >= %.1fx on every list path, no errors: %s)'
          % (many, min(line['ratio'] for line in lines),
             max(line['ratio'] for line in lines), TARGET_RATIO,
             'missed on ' + ', '.join(missed) if missed else 'met'),
          flush=True)
    print(json.dumps({'benchmark': 'api_workers', 'control_db': 'mariadb',
                      'cpus': os.cpu_count(), 'workers': [1, many],
                      'connections': args.connections,
                      'duration_s': args.duration, 'runs': runs,
                      'paths': lines, 'target_ratio': TARGET_RATIO,
                      'within_target': not missed}))


if __name__ == '__main__':
    main()
