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

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from bench import api_seed  # noqa: E402
from tests.functional.api import app as api_app  # noqa: E402
from tests.helpers import databases  # noqa: E402
from trove.common import page_keys  # noqa: E402
from trove.common import states  # noqa: E402
from trove.conf import CONF  # noqa: E402
from trove.db import migration  # noqa: E402
from trove.db import models as db_models  # noqa: E402

PAGE_SIZE = 20
TARGET_RATIO = 1.5
BASE = '/v1.0/' + api_seed.PROJECT
# Rows written to the load files per batch of Python work.
BATCH = 50000
NULL = '\\N'


def _ids(kind, start, count):
    """Ids in insertion order (a uuid's form with a counter in it): the
    primary keys grow, so the load appends to each clustered index
    instead of writing pages all over it, as random uuids do once the
    table outgrows the buffer pool."""
    return ['%08x-0000-4000-8000-%012x' % (kind, index)
            for index in range(start, start + count)]


def _text(value):
    if value is None:
        return NULL
    if value is True or value is False:
        return '1' if value else '0'
    return str(value)


class _Table:
    """One table's rows as tab-separated text (the format both MariaDB's
    LOAD DATA and PostgreSQL's COPY read by default: \\N for NULL)."""

    def __init__(self, name, columns):
        self.name, self.columns = name, columns

    def lines(self, rows):
        return ''.join('\t'.join(map(_text, row)) + '\n' for row in rows)


INSTANCES = _Table('instances', (
    'id', 'name', 'created', 'updated', 'compute_instance_id', 'task_id',
    'task_description', 'flavor_id', 'volume_size', 'tenant_id',
    'server_status', 'deleted', 'datastore_version_id', 'region_id',
    'access', 'addresses'))
STATUSES = _Table('service_statuses', (
    'id', 'instance_id', 'status_id', 'status_description', 'updated_at'))
BACKUPS = _Table('backups', (
    'id', 'name', 'description', 'backup_type', 'location', 'size',
    'tenant_id', 'state', 'instance_id', 'backup_timestamp', 'deleted',
    'created', 'updated', 'datastore_version_id', 'storage_driver'))
CONFIGURATIONS = _Table('configurations', (
    'id', 'name', 'description', 'tenant_id', 'datastore_version_id',
    'deleted', 'created', 'updated'))
TABLES = (INSTANCES, STATUSES, BACKUPS, CONFIGURATIONS)


def _batches(rows, now, version_id):
    """{table: text} per batch of ``BATCH`` rows of each kind: row
    ``index`` of each list was created ``index`` seconds before now."""
    task = states.InstanceTasks.NONE
    service = states.ServiceStatuses.HEALTHY
    access = '{"is_public": false}'
    addresses = json.dumps([{'address': '127.10.0.2', 'type': 'private',
                             'network': 'loopback'}])
    project = api_seed.PROJECT
    reported = now.isoformat(' ')
    for start in range(0, rows, BATCH):
        count = min(BATCH, rows - start)
        stamps = [(now - datetime.timedelta(seconds=index)).isoformat(' ')
                  for index in range(start, start + count)]
        instance_ids = _ids(1, start, count)
        instances = [
            (instance_id, 'db-%07d' % index, stamp, stamp, instance_id,
             task.code, task.db_text, '1', 1, project, 'ACTIVE', False,
             version_id, 'RegionOne', access, addresses)
            for index, instance_id, stamp in zip(
                range(start, start + count), instance_ids, stamps)]
        statuses = [
            (status_id, instance_id, service.code, service.description,
             reported)
            for status_id, instance_id in zip(_ids(2, start, count),
                                              instance_ids)]
        backups = [
            (backup_id, 'backup-%07d' % index, 'nightly', 'mariabackup',
             'file:///backups/%s.xbstream.gz' % backup_id, 0.5, project,
             'COMPLETED', None, stamp, False, stamp, stamp, version_id,
             'local')
            for index, backup_id, stamp in zip(
                range(start, start + count), _ids(3, start, count), stamps)]
        configurations = [
            (configuration_id, 'config-%07d' % index, 'bench', project,
             version_id, False, stamp, stamp)
            for index, configuration_id, stamp in zip(
                range(start, start + count), _ids(4, start, count), stamps)]
        yield start + count, {INSTANCES: INSTANCES.lines(instances),
                              STATUSES: STATUSES.lines(statuses),
                              BACKUPS: BACKUPS.lines(backups),
                              CONFIGURATIONS: CONFIGURATIONS.lines(
                                  configurations)}


def _write_files(rows, now, version_id, tmp):
    """One tab-separated file per table in ``tmp``; their paths."""
    paths = {table: pathlib.Path(tmp, table.name + '.tsv')
             for table in TABLES}
    files = {table: open(path, 'w') for table, path in paths.items()}
    try:
        for done, texts in _batches(rows, now, version_id):
            for table, text in texts.items():
                files[table].write(text)
            _progress('written', done, rows)
    finally:
        for handle in files.values():
            handle.close()
    return paths


def _load_mysql(url, paths):
    """Every table by one ``LOAD DATA LOCAL INFILE`` into the empty table
    with unique and foreign key checks off: InnoDB then builds the table
    and its indexes by sorting (MariaDB's bulk insert into an empty
    table) and logs no undo per row."""
    engine = sa.create_engine(url, connect_args={'local_infile': True})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(
                'SET unique_checks = 0, foreign_key_checks = 0')
            for table, path in paths.items():
                started = time.monotonic()
                connection.exec_driver_sql(
                    "LOAD DATA LOCAL INFILE '%s' INTO TABLE %s (%s)" % (
                        path, table.name, ', '.join(table.columns)))
                connection.commit()
                path.unlink()
                print('  %s loaded in %.0f s' % (
                    table.name, time.monotonic() - started), flush=True)
            connection.exec_driver_sql('ANALYZE TABLE %s' % ', '.join(
                table.name for table in paths))
    finally:
        engine.dispose()


def _load_postgresql(url, paths):
    """Every table by ``COPY … FROM STDIN`` with its secondary indexes
    dropped, then the indexes built from the loaded rows (one sort each
    instead of a million index inserts)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            indexes = [(table.name, index) for table in paths
                       for index in inspector.get_indexes(table.name)]
            for _table, index in indexes:
                connection.exec_driver_sql('DROP INDEX %s' % index['name'])
            cursor = connection.connection.driver_connection.cursor()
            for table, path in paths.items():
                started = time.monotonic()
                with cursor.copy('COPY %s (%s) FROM STDIN' % (
                        table.name, ', '.join(table.columns))) as copy, \
                        open(path, 'rb') as source:
                    while block := source.read(1 << 20):
                        copy.write(block)
                path.unlink()
                print('  %s loaded in %.0f s' % (
                    table.name, time.monotonic() - started), flush=True)
            started = time.monotonic()
            for table_name, index in indexes:
                connection.exec_driver_sql(
                    'CREATE %sINDEX %s ON %s (%s)' % (
                        'UNIQUE ' if index['unique'] else '', index['name'],
                        table_name, ', '.join(index['column_names'])))
            connection.commit()
            print('  indexes built in %.0f s' % (
                time.monotonic() - started), flush=True)
        with engine.connect().execution_options(
                isolation_level='AUTOCOMMIT') as connection:
            connection.exec_driver_sql('ANALYZE')
    finally:
        engine.dispose()


def _progress(what, done, rows):
    if done % (BATCH * 4) == 0 or done == rows:
        print('  %s: %d rows of each kind' % (what, done), flush=True)


def fill(url, rows, tmp):
    """Migrate, register the catalogue and load ``rows`` of each kind;
    seconds taken."""
    started = time.monotonic()
    engine = sa.create_engine(url)
    try:
        migration.upgrade(engine)
    finally:
        engine.dispose()
    version_id = api_seed._register_catalogue(url)
    now = db_models.utcnow().replace(microsecond=0)
    paths = _write_files(rows, now, version_id, tmp)
    print('  files written in %.0f s' % (time.monotonic() - started),
          flush=True)
    if url.startswith('mysql'):
        _load_mysql(url, paths)
    else:
        _load_postgresql(url, paths)
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
            fill_seconds = fill(database.url, args.rows, tmp)
            markers = deep_markers(database.url, position)
            results = {}
            # Every timed request is a GET of one client: no rate limit.
            api_app._ensure_conf_parsed()
            CONF.set_override('http_get_rate', 100000000)
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
