"""The floor of the API benchmark: the same pages from the smallest WSGI app.

One SELECT per request of the rows a page shows (the same joins the API
needs: status, datastore and version names), times formatted by MariaDB,
``json.dumps`` of the rows keyed by column name. No routing framework, no
policy, no context, no views: what is left is the HTTP server (granian,
as ``trove-api`` uses), the driver and JSON, so the API's figure divided
by this one says how far the API is from the limit of this stack.

Served by ``bench/api_upstream.py`` with
``granian --interface wsgi bench.api_floor:application``; the database
URL is in ``TROVE_BENCH_FLOOR_DB`` (``mysql+pymysql://user@host:port/db``).
"""

import json
import os
import threading
import urllib.parse

import pymysql

# %% twice: once for the format below, once for the driver's parameters.
_TIME = "DATE_FORMAT(%s, '%%%%Y-%%%%m-%%%%dT%%%%H:%%%%i:%%%%s')"
_DATASTORE = ('ds.name AS datastore, dv.name AS datastore_version, '
              'dv.id AS datastore_version_id')
_INSTANCE = (
    'SELECT i.id, i.name, ' + _TIME % 'i.created' + ' AS created, '
    + _TIME % 'i.updated' + ' AS updated, i.flavor_id, i.volume_size, '
    'i.task_id, i.server_status, s.status_id, i.region_id, i.access, '
    'i.configuration_id, i.addresses, ' + _DATASTORE + ' '
    'FROM instances i JOIN service_statuses s ON s.instance_id = i.id '
    'JOIN datastore_versions dv ON dv.id = i.datastore_version_id '
    'JOIN datastores ds ON ds.id = dv.datastore_id ')
# The API's page orders (newest first, id breaking ties, both descending).
_PAGE = ' ORDER BY {t}.{o} DESC, {t}.id DESC LIMIT %s'
QUERIES = {
    'instances': ('instances', _INSTANCE + 'WHERE i.tenant_id = %s AND '
                  'i.deleted = 0' + _PAGE.format(t='i', o='created')),
    'instances/detail': ('instances', _INSTANCE + 'WHERE i.tenant_id = %s '
                         'AND i.deleted = 0' + _PAGE.format(t='i', o='created')),
    'instance': ('instance', _INSTANCE + 'WHERE i.tenant_id = %s AND '
                 'i.id = %s AND i.deleted = 0'),
    'backups': ('backups', (
        'SELECT b.id, b.name, b.description, b.location, b.instance_id, '
        + _TIME % 'b.created' + ' AS created, ' + _TIME % 'b.updated'
        + ' AS updated, b.size, b.state, b.parent_id, b.storage_driver, '
        + _DATASTORE + ' FROM backups b '
        'JOIN datastore_versions dv ON dv.id = b.datastore_version_id '
        'JOIN datastores ds ON ds.id = dv.datastore_id '
        'WHERE b.tenant_id = %s AND b.deleted = 0' + _PAGE.format(t='b', o='updated'))),
    'configurations': ('configurations', (
        'SELECT c.id, c.name, c.description, ' + _TIME % 'c.created'
        + ' AS created, ' + _TIME % 'c.updated' + ' AS updated, '
        + _DATASTORE + ' FROM configurations c '
        'JOIN datastore_versions dv ON dv.id = c.datastore_version_id '
        'JOIN datastores ds ON ds.id = dv.datastore_id '
        'WHERE c.tenant_id = %s AND c.deleted = 0' + _PAGE.format(t='c', o='created'))),
    'datastores': ('datastores', (
        'SELECT ds.id, ds.name, ds.default_version_id, dv.id AS version_id, '
        'dv.name AS version_name, dv.active FROM datastores ds '
        'LEFT JOIN datastore_versions dv ON dv.datastore_id = ds.id '
        'ORDER BY ds.name')),
}
_local = threading.local()


def _connection():
    """One connection per server thread, opened at its first request."""
    if getattr(_local, 'connection', None) is None:
        url = urllib.parse.urlsplit(os.environ['TROVE_BENCH_FLOOR_DB'])
        _local.connection = pymysql.connect(
            host=url.hostname, port=url.port or 3306,
            user=urllib.parse.unquote(url.username or ''),
            password=urllib.parse.unquote(url.password or ''),
            database=url.path.lstrip('/'), charset='utf8mb4',
            autocommit=True)
    return _local.connection


def _route(path):
    """(query name, project, extra argument) of /v1.0/{project}/..."""
    parts = path.strip('/').split('/')
    if len(parts) < 3 or parts[0] != 'v1.0':
        return None, None, None
    project, rest = parts[1], '/'.join(parts[2:])
    if rest in QUERIES:
        return rest, project, None
    if parts[2] == 'instances' and len(parts) == 4:
        return 'instance', project, parts[3]
    return None, None, None


def application(environ, start_response):
    name, project, item = _route(environ.get('PATH_INFO', ''))
    if name is None:
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'not found']
    key, sql = QUERIES[name]
    query = urllib.parse.parse_qs(environ.get('QUERY_STRING', ''))
    limit = min(int(query.get('limit', ['20'])[0]), 100)
    args = {'instance': (project, item), 'datastores': ()}.get(
        name, (project, limit))
    with _connection().cursor() as cursor:
        cursor.execute(sql, args)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    body = rows[0] if key == 'instance' and rows else rows
    payload = json.dumps({key: body}, default=str).encode()
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(payload)))])
    return [payload]
