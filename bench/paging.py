"""Paging cost at depth: page 1 against page 10,000 of one project.

Fills a control database (MariaDB by default, or PostgreSQL) with
``--rows`` instances (each with its service status), backups and
configuration groups of one project, then serves ``GET /instances``,
``/backups`` and ``/configurations`` through the real paste pipeline in
this process and times page 1 and page ``--page`` (20 rows a page, the
default page size) with the marker of that page's next link, as a client
following the links would send it. Backups are also timed with upstream's
integer offset marker at the same depth, to show what the page key saves.

The marker of a deep page is read from the database (the key of the row
just before the page in the list's order): it is exactly what the
previous page's next link would hold, without walking 10,000 pages.

Target: page ``--page`` costs no more than 1.5x page 1 (constant cost).
The last line printed is one JSON object with every figure.

    .venv/bin/python bench/paging.py [--rows 1000000] [--page 10000]
        [--backend mysql|postgresql]
"""

import argparse
import datetime
import json
import pathlib
import statistics
import sys
import tempfile
import time
import uuid

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from bench import api_seed  # noqa: E402
from tests.functional.api import app as api_app  # noqa: E402
from tests.helpers import databases  # noqa: E402
from trove.common import page_keys  # noqa: E402
from trove.common import states  # noqa: E402
from trove.db import migration  # noqa: E402
from trove.db import models as db_models  # noqa: E402

PAGE_SIZE = 20
CHUNK = 10000
TARGET_RATIO = 1.5
BASE = '/v1.0/' + api_seed.PROJECT


def _chunks(total):
    for start in range(0, total, CHUNK):
        yield start, min(CHUNK, total - start)


def _instance_rows(start, count, now, version_id):
    task = states.InstanceTasks.NONE
    service = states.ServiceStatuses.HEALTHY
    instances, statuses = [], []
    for index in range(start, start + count):
        instance_id = str(uuid.uuid4())
        created = now - datetime.timedelta(seconds=index)
        instances.append({
            'id': instance_id, 'name': 'db-%07d' % index,
            'created': created, 'updated': created,
            'compute_instance_id': str(uuid.uuid4()),
            'task_id': task.code, 'task_description': task.db_text,
            'flavor_id': '1', 'volume_size': 1,
            'tenant_id': api_seed.PROJECT, 'server_status': 'ACTIVE',
            'deleted': False, 'datastore_version_id': version_id,
            'region_id': 'RegionOne', 'access': '{"is_public": false}',
            'addresses': json.dumps([{'address': '127.10.0.2',
                                      'type': 'private',
                                      'network': 'loopback'}])})
        statuses.append({'id': str(uuid.uuid4()),
                         'instance_id': instance_id,
                         'status_id': service.code,
                         'status_description': service.description,
                         'updated_at': now})
    return instances, statuses


def _backup_rows(start, count, now, version_id):
    rows = []
    for index in range(start, start + count):
        stamp = now - datetime.timedelta(seconds=index)
        backup_id = str(uuid.uuid4())
        rows.append({
            'id': backup_id, 'name': 'backup-%07d' % index,
            'description': 'nightly', 'backup_type': 'mariabackup',
            'location': 'file:///backups/%s.xbstream.gz' % backup_id,
            'size': 0.5, 'tenant_id': api_seed.PROJECT,
            'state': 'COMPLETED', 'instance_id': None,
            'backup_timestamp': stamp, 'deleted': False,
            'created': stamp, 'updated': stamp,
            'datastore_version_id': version_id, 'storage_driver': 'local'})
    return rows


def _configuration_rows(start, count, now, version_id):
    return [{'id': str(uuid.uuid4()), 'name': 'config-%07d' % index,
             'description': 'bench', 'tenant_id': api_seed.PROJECT,
             'datastore_version_id': version_id, 'deleted': False,
             'created': now, 'updated': now}
            for index in range(start, start + count)]


def fill(url, rows):
    """Migrate, register the catalogue and insert ``rows`` of each kind;
    seconds taken."""
    started = time.monotonic()
    engine = sa.create_engine(url)
    try:
        migration.upgrade(engine)
    finally:
        engine.dispose()
    version_id = api_seed._register_catalogue(url)
    now = db_models.utcnow().replace(microsecond=0)
    tables = db_models.Base.metadata.tables
    engine = sa.create_engine(url)
    if url.startswith('mysql'):
        # Bulk load: the keys are fresh uuids and the references exist.
        @sa.event.listens_for(engine, 'connect')
        def _bulk(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute('SET unique_checks = 0, foreign_key_checks = 0')
            cursor.close()
    try:
        for start, count in _chunks(rows):
            instances, statuses = _instance_rows(start, count, now,
                                                 version_id)
            with engine.begin() as connection:
                connection.execute(tables['instances'].insert(), instances)
                connection.execute(tables['service_statuses'].insert(),
                                   statuses)
                connection.execute(
                    tables['backups'].insert(),
                    _backup_rows(start, count, now, version_id))
                connection.execute(
                    tables['configurations'].insert(),
                    _configuration_rows(start, count, now, version_id))
            if start and start % (CHUNK * 20) == 0:
                print('  %d rows of each kind' % start, flush=True)
        if url.startswith('postgresql'):
            with engine.connect().execution_options(
                    isolation_level='AUTOCOMMIT') as connection:
                connection.execute(sa.text('ANALYZE'))
    finally:
        engine.dispose()
    return time.monotonic() - started


def deep_markers(url, position):
    """The next-link markers that lead to the page starting at
    ``position`` of each list (the key of the row just before it)."""
    engine = sa.create_engine(url)
    project = api_seed.PROJECT
    try:
        with engine.connect() as connection:
            instance = connection.execute(sa.text(
                'SELECT id FROM instances WHERE tenant_id = :p AND '
                'deleted = :f ORDER BY created DESC, id DESC '
                'LIMIT 1 OFFSET :o'),
                {'p': project, 'f': False, 'o': position - 1}).scalar()
            backup = connection.execute(sa.text(
                'SELECT updated, id FROM backups WHERE tenant_id = :p AND '
                'deleted = :f ORDER BY updated DESC, id DESC '
                'LIMIT 1 OFFSET :o'),
                {'p': project, 'f': False, 'o': position - 1}).first()
            configuration = connection.execute(sa.text(
                'SELECT id FROM configurations WHERE tenant_id = :p AND '
                'deleted = :f ORDER BY id LIMIT 1 OFFSET :o'),
                {'p': project, 'f': False, 'o': position - 1}).scalar()
    finally:
        engine.dispose()
    updated = backup[0]
    if isinstance(updated, str):
        updated = datetime.datetime.fromisoformat(updated)
    return {'instances': instance,
            'backups': page_keys.key_of(updated, backup[1]),
            'backups (upstream integer offset)': str(position),
            'configurations': configuration}


def time_request(api, path, repeat):
    """Median milliseconds of ``repeat`` GETs of ``path`` (200 checked),
    after a few untimed ones (the first builds statements and warms the
    database's cache)."""
    for _ in range(3):
        api.get(path)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = api.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_int != 200:
            raise SystemExit('%s answered %s: %s' % (
                path, response.status_int, response.text[:300]))
        if not response.json:
            raise SystemExit('%s answered an empty body' % path)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rows', type=int, default=1000000,
                        help='instances, backups and groups each')
    parser.add_argument('--page', type=int, default=10000)
    parser.add_argument('--repeat', type=int, default=30)
    parser.add_argument('--backend', default='mysql',
                        choices=['mysql', 'postgresql'])
    args = parser.parse_args()
    position = (args.page - 1) * PAGE_SIZE
    if position + PAGE_SIZE > args.rows:
        raise SystemExit('--page %d needs at least %d rows' % (
            args.page, position + PAGE_SIZE))
    with tempfile.TemporaryDirectory(prefix='trove-bench-paging-') as tmp:
        database = databases.TestDatabase(args.backend, tmp)
        try:
            print('filling %s with %d rows of each kind' % (
                args.backend, args.rows), flush=True)
            fill_seconds = fill(database.url, args.rows)
            markers = deep_markers(database.url, position)
            results = {}
            with api_app.in_process_api(database.url,
                                        pathlib.Path(tmp)) as api:
                paths = {'instances': '/instances',
                         'backups': '/backups',
                         'backups (upstream integer offset)': '/backups',
                         'configurations': '/configurations'}
                for name, path in paths.items():
                    first = time_request(api, BASE + path, args.repeat)
                    deep = time_request(
                        api, BASE + path + '?marker=' + markers[name],
                        args.repeat)
                    results[name] = {'page_1_ms': round(first, 2),
                                     'page_%d_ms' % args.page: round(deep, 2),
                                     'ratio': round(deep / first, 2)}
                    print('%-36s page 1 %7.2f ms | page %d %8.2f ms | '
                          'ratio %6.2f (target <= %.1f for page keys)' % (
                              name, first, args.page, deep, deep / first,
                              TARGET_RATIO), flush=True)
        finally:
            database.drop()
    print(json.dumps({'backend': args.backend, 'rows': args.rows,
                      'page': args.page, 'fill_seconds': round(fill_seconds),
                      'target_ratio': TARGET_RATIO, 'lists': results}))


if __name__ == '__main__':
    main()
