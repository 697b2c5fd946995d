"""trove-api as a real process, driven by the real clients and over HTTP.

One server (noauth, two workers, a seeded SQLite control database) serves
every test of this module and is stopped by its pid afterwards.
"""

import http.client
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
from xml.etree import ElementTree

import pytest
import requests
from keystoneauth1 import noauth, session
from troveclient.v1 import client as trove_client

from tests.functional.api import app as api_app
from tests.functional.api import seed
from tests.helpers import ports, processes

pytestmark = pytest.mark.functional

VENV_BIN = pathlib.Path(sys.executable).parent
PROJECT = 'demo-project'
XML_NS = '{http://docs.openstack.org/database/api/v1.0}'


class Server:
    def __init__(self, state_dir, port, process, ids):
        self.state_dir = state_dir
        self.port = port
        self.process = process
        self.ids = ids
        self.root = 'http://127.0.0.1:%d' % port
        self.endpoint = '%s/v1.0/%s' % (self.root, PROJECT)


def _workers(pid):
    """Pids of the processes whose parent is ``pid``."""
    children = []
    for entry in pathlib.Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / 'stat').read_text()
        except OSError:
            continue
        if int(stat.rsplit(')', 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


@pytest.fixture(scope='module')
def server():
    state_dir = pathlib.Path(tempfile.mkdtemp(prefix='trove-api-test-'))
    url = 'sqlite:///%s' % (state_dir / 'trove.sqlite')
    api_app.migrate(url)
    ids = seed.seed_database(url)
    port = ports.free_port()
    config = state_dir / 'trove.conf'
    config.write_text(
        '[DEFAULT]\nauth_strategy = noauth\nbind_host = 127.0.0.1\n'
        'bind_port = %d\ntrove_api_workers = 2\nstate_path = %s\n'
        '[database]\nconnection = %s\n' % (port, state_dir, url))
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    process = processes.ManagedProcess(
        [str(VENV_BIN / 'trove-api'), '--config-file', str(config)],
        str(state_dir / 'trove-api.log'), env=env)
    try:
        processes.wait_until(
            lambda: _answers(port) or not process.alive(), timeout=60,
            message='trove-api did not start')
        assert process.alive(), process.log_tail()
        yield Server(state_dir, port, process, ids)
    finally:
        process.stop()
        shutil.rmtree(state_dir, ignore_errors=True)


def _answers(port):
    try:
        return requests.get('http://127.0.0.1:%d/' % port,
                            timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def test_server_runs_the_configured_workers(server):
    workers = processes.wait_until(
        lambda: len(_workers(server.process.pid)) == 2
        and _workers(server.process.pid), timeout=30)
    assert len(workers) == 2


def test_every_keep_alive_connection_is_served(server):
    """More open keep-alive connections than the workers have threads:
    each is answered, and answered again on the same connection (a
    server that gave each connection a thread's slot until it closed
    would leave the rest waiting)."""
    connections = [http.client.HTTPConnection('127.0.0.1', server.port,
                                              timeout=10)
                   for _ in range(16)]
    try:
        opened = None
        for _round in range(2):
            for connection in connections:
                connection.request('GET', '/v1.0/%s/flavors' % PROJECT)
            for connection in connections:
                response = connection.getresponse()
                response.read()
                assert response.status == 200
                assert not response.will_close
            sockets = [connection.sock for connection in connections]
            assert opened is None or sockets == opened
            opened = sockets
    finally:
        for connection in connections:
            connection.close()


# The real python-troveclient library ----------------------------------------

@pytest.fixture(scope='module')
def trove(server):
    auth = noauth.NoAuth(endpoint=server.endpoint)
    return trove_client.Client(session=session.Session(auth=auth))


def test_library_lists_datastores(trove):
    datastores = trove.datastores.list()
    assert [d.name for d in datastores] == ['mariadb', 'mysql', 'postgresql']
    mariadb = datastores[0]
    assert mariadb.default_version == mariadb.versions[0]['id']


def test_library_shows_a_version(trove, server):
    version = trove.datastore_versions.get_by_uuid(
        server.ids['mysql-version'])
    assert (version.name, version.version, version.datastore) == (
        '8.0', '8.0.36', server.ids['mysql'])
    by_name = trove.datastore_versions.get('mysql', '8.0')
    assert by_name.id == server.ids['mysql-version']


def test_library_lists_flavors(trove):
    flavors = trove.flavors.list()
    assert [(f.name, f.ram, f.vcpus, f.disk) for f in flavors] == [
        ('small', 1024, 1, 5), ('medium', 2048, 2, 10)]
    assert trove.flavors.get(flavors[1].id).name == 'medium'


def test_library_reads_limits(trove):
    limits = trove.limits.list()
    absolute = limits[0]
    assert (absolute.verb, absolute.max_instances, absolute.max_volumes,
            absolute.max_backups) == ('ABSOLUTE', 10, 40, 50)
    assert [lim.verb for lim in limits[1:]] == ['POST', 'PUT', 'DELETE',
                                                'GET', 'POST']


def test_library_gets_not_found_for_unknown_datastore(trove):
    from troveclient.apiclient import exceptions
    with pytest.raises(exceptions.NotFound):
        trove.datastores.get('nosuch')


# The CLIs ----------------------------------------------------------------------

def _clean_env(**values):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['PYTHONWARNINGS'] = 'ignore'
    env.update(values)
    return env


def _run(args, env):
    result = subprocess.run(args, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_openstack_cli_lists_datastores(server):
    rows = _run([str(VENV_BIN / 'openstack'), 'datastore', 'list', '-f',
                 'json'],
                _clean_env(OS_AUTH_TYPE='none', OS_ENDPOINT=server.endpoint))
    assert sorted((row['Name'], row['ID']) for row in rows) == [
        ('mariadb', server.ids['mariadb']), ('mysql', server.ids['mysql']),
        ('postgresql', server.ids['postgresql'])]


def test_legacy_trove_cli_lists_datastores(server):
    env = _clean_env(
        TROVE_BYPASS_URL=server.endpoint,
        OS_AUTH_URL=server.root + '/auth/v1.0', OS_USERNAME='demo',
        OS_PASSWORD='x', OS_PROJECT_NAME=PROJECT)
    datastores = _run([str(VENV_BIN / 'trove'), '--json', 'datastore-list'],
                      env)
    assert [d['name'] for d in datastores] == ['mariadb', 'mysql',
                                               'postgresql']


# Plain HTTP, like curl -------------------------------------------------------

def _fault(response, code, name):
    assert response.status_code == code, response.text
    assert response.headers['Content-Type'].startswith('application/json')
    assert response.json()[name]['code'] == code
    return response.json()[name]['message']


def test_unknown_route_is_a_404_fault(server):
    response = requests.get(server.endpoint + '/no-such-thing', timeout=10)
    assert _fault(response, 404, 'itemNotFound') == \
        'The resource could not be found.'


def test_unknown_datastore_is_404(server):
    response = requests.get(server.endpoint + '/datastores/nosuch',
                            timeout=10)
    assert _fault(response, 404, 'itemNotFound') == \
        "Datastore 'nosuch' cannot be found."


def test_malformed_json_on_a_post_route_is_400(server):
    response = requests.post(
        server.endpoint + '/mgmt/datastore-versions',
        data='{"version": {', timeout=10,
        headers={'Content-Type': 'application/json',
                 'X-Auth-Token': 'admin'})
    assert _fault(response, 400, 'badRequest').startswith(
        'Malformed message body')


def test_non_admin_on_mgmt_is_403(server):
    response = requests.get(server.endpoint + '/mgmt/datastore-versions',
                            timeout=10)
    _fault(response, 403, 'forbidden')


def test_project_in_path_must_be_the_callers(server):
    response = requests.get(server.endpoint + '/datastores', timeout=10,
                            headers={'X-Project-Id': 'someone-else'})
    assert _fault(response, 403, 'forbidden') == (
        'User with tenant id %s cannot access this resource.' % PROJECT)
    same = requests.get(server.endpoint + '/datastores', timeout=10,
                        headers={'X-Project-Id': PROJECT})
    assert same.status_code == 200


def test_xml_is_the_same_document(server):
    url = server.endpoint + '/datastores/mysql'
    as_json = requests.get(url, timeout=10).json()['datastore']
    response = requests.get(url, timeout=10,
                            headers={'Accept': 'application/xml'})
    assert response.status_code == 200
    assert response.headers['Content-Type'].startswith('application/xml')
    root = ElementTree.fromstring(response.content)
    assert root.tag == XML_NS + 'datastore'
    assert (root.get('id'), root.get('name'), root.get('default_version')) \
        == (as_json['id'], as_json['name'], as_json['default_version'])
    versions = root.find(XML_NS + 'versions')
    assert [v.get('id') for v in versions] == [
        v['id'] for v in as_json['versions']]
    links = root.find(XML_NS + 'links')
    assert [(link.get('rel'), link.get('href')) for link in links] == [
        (link['rel'], link['href']) for link in as_json['links']]


def test_xml_faults(server):
    response = requests.get(server.endpoint + '/datastores/nosuch',
                            timeout=10, headers={'Accept': 'application/xml'})
    assert response.status_code == 404
    root = ElementTree.fromstring(response.content)
    assert (root.tag, root.get('code')) == (XML_NS + 'itemNotFound', '404')


def test_healthcheck(server):
    response = requests.get(server.root + '/healthcheck', timeout=10)
    assert response.status_code == 200


def test_versions_document_points_at_this_server(server):
    response = requests.get(server.root + '/', timeout=10)
    assert response.status_code == 200
    [version] = response.json()['versions']
    assert (version['id'], version['status']) == ('v1.0', 'CURRENT')
    assert version['links'] == [{'href': server.root + '/v1.0/',
                                 'rel': 'self'}]


def test_links_use_the_request_scheme_and_host(server):
    datastore = requests.get(server.endpoint + '/datastores/mysql',
                             timeout=10).json()['datastore']
    assert datastore['links'][0]['href'] == '%s/datastores/%s' % (
        server.endpoint, server.ids['mysql'])


@pytest.mark.parametrize('path', ['/datastores', '/no-such-thing'])
def test_request_id_header(server, path):
    response = requests.get(server.endpoint + path, timeout=10)
    assert response.headers['X-OpenStack-Request-ID'].startswith('req-')


def _add_backups(server, count):
    """``count`` completed backup rows of the project, straight into the
    server's control database (no engine runs here)."""
    import datetime

    import sqlalchemy as sa

    from trove.db import models as db_models
    now = db_models.utcnow().replace(microsecond=0)
    rows = [{'id': db_models.generate_uuid(), 'name': 'listed-%03d' % index,
             'tenant_id': PROJECT, 'state': 'COMPLETED', 'deleted': False,
             'location': 'file:///nowhere/%03d.xbstream.gz' % index,
             'backup_type': 'mariabackup', 'size': 0.1,
             'storage_driver': 'local',
             'datastore_version_id': server.ids['mariadb-version'],
             'created': now - datetime.timedelta(seconds=index),
             'updated': now - datetime.timedelta(seconds=index)}
            for index in range(count)]
    engine = sa.create_engine('sqlite:///%s' % (server.state_dir /
                                                'trove.sqlite'))
    try:
        with engine.begin() as connection:
            connection.execute(
                db_models.Base.metadata.tables['backups'].insert(), rows)
    finally:
        engine.dispose()
    return [row['id'] for row in rows]


def test_openstack_cli_backup_list_shows_the_limit_asked_for(server):
    """``openstack database backup list --limit 100`` lists 100 backups
    (upstream takes the backup list's limit as given; the page size is
    20)."""
    added = _add_backups(server, 105)
    env = _clean_env(OS_AUTH_TYPE='none', OS_ENDPOINT=server.endpoint)
    rows = _run([str(VENV_BIN / 'openstack'), 'database', 'backup', 'list',
                 '--limit', '100', '-f', 'json'], env)
    assert len(rows) == 100
    assert {row['ID'] for row in rows} <= set(added)
    # Without --limit the client follows the next links, page by page.
    default = _run([str(VENV_BIN / 'openstack'), 'database', 'backup',
                    'list', '-f', 'json'], env)
    assert {row['ID'] for row in default} == set(added)


# Hostile bodies --------------------------------------------------------------

BODY_ROUTES = [
    ('POST', '/backup_strategies'),
    ('PUT', '/configurations/%s' % ('0' * 36)),
    ('PUT', '/instances/%s/users/someone' % ('0' * 36)),
]


def _nested(depth):
    return '{"instance":' * depth + '{}' + '}' * depth


HOSTILE_BODIES = {
    'nested 2000 levels': _nested(2000).encode(),
    'nested 200 levels': _nested(200).encode(),
    'arrays nested 5000 levels': b'{"a":' + b'[' * 5000 + b']' * 5000 + b'}',
    'duplicate keys': b'{"user": {"name": "a"}, "user": {"name": "b"}}',
    'NaN': b'{"configuration": {"values": {"max_connections": NaN}}}',
    'huge integer': b'{"configuration": {"values": {"max_connections": '
                    + b'9' * 5000 + b'}}}',
    'float overflow': b'{"configuration": {"values": {"x": 1e999}}}',
    'not UTF-8': b'{"user": {"name": "\xff\xfe"}}',
    'UTF-16': '{"user": {"name": "x"}}'.encode('utf-16'),
    'unpaired surrogate': b'{"user": {"name": "\\ud800"}}',
    'top level array': b'[{"user": {}}]',
    'truncated': b'{"user": {',
}


def _send(server, method, path, body, **headers):
    headers.setdefault('Content-Type', 'application/json')
    return requests.request(method, server.endpoint + path, data=body,
                            headers=headers, timeout=30)


@pytest.mark.parametrize('method, path', BODY_ROUTES)
@pytest.mark.parametrize('kind', sorted(HOSTILE_BODIES))
def test_hostile_json_is_a_400(server, method, path, kind):
    response = _send(server, method, path, HOSTILE_BODIES[kind])
    assert _fault(response, 400, 'badRequest').startswith(
        'Malformed message body')


@pytest.mark.parametrize('method, path', BODY_ROUTES)
def test_a_body_over_the_size_limit_is_a_413_before_parsing(server, method,
                                                             path):
    # 114688 bytes (oslo.middleware's max_request_body_size) and one more;
    # the body is not even JSON: it is never parsed.
    body = b'{' * (114688 + 1)
    response = _send(server, method, path, body)
    assert 'larger than the 114688 bytes' in _fault(response, 413,
                                                    'overLimit')
    chunked = _send(server, method, path, iter([body[:60000], body[60000:]]))
    assert 'larger than the 114688 bytes' in _fault(chunked, 413,
                                                    'overLimit')


def test_the_api_keeps_serving_after_hostile_bodies(server):
    for kind in sorted(HOSTILE_BODIES):
        for method, path in BODY_ROUTES:
            _send(server, method, path, HOSTILE_BODIES[kind])
    response = requests.get(server.endpoint + '/datastores', timeout=10)
    assert response.status_code == 200
    assert len(response.json()['datastores']) == 3


# trove-local's openrc files (noauth) ----------------------------------------

def _sourced(openrc, command):
    """Run ``command`` in a shell that sourced ``openrc``, as a user does."""
    script = 'export PATH=%s:$PATH; source %s; %s' % (VENV_BIN, openrc,
                                                      command)
    return subprocess.run(['bash', '-c', script], capture_output=True,
                          text=True, timeout=120, env=_clean_env())


def test_admin_openrc_gives_both_clis_the_admin_role(server):
    from trove.localenv import config as local_config
    config = local_config.LocalConfig(str(server.state_dir),
                                      api_port=server.port)
    member_rc = config.write_openrc(PROJECT)
    admin_rc = config.write_admin_openrc()
    version = server.ids['mysql-version']

    # The legacy CLI: quota-update is the admin's (GET/PUT /mgmt/quotas).
    updated = _sourced(admin_rc, 'trove --json quota-update %s instances 7'
                       % PROJECT)
    assert updated.returncode == 0, updated.stderr
    assert json.loads(updated.stdout)['instances'] == 7
    shown = _sourced(member_rc, 'trove --json quota-show %s' % PROJECT)
    assert shown.returncode == 0, shown.stderr
    assert {row['resource']: row['limit'] for row in json.loads(
        shown.stdout)}['instances'] == 7
    refused = _sourced(member_rc, 'trove quota-update %s instances 99'
                       % PROJECT)
    assert refused.returncode != 0
    assert 'admin' in refused.stderr and '403' in refused.stderr

    # OpenStackClient: a management call (PATCH /mgmt/datastore-versions).
    enabled = _sourced(admin_rc, 'openstack datastore version set %s '
                       '--enable' % version)
    assert enabled.returncode == 0, enabled.stderr
    refused = _sourced(member_rc, 'openstack datastore version set %s '
                       '--enable' % version)
    assert refused.returncode != 0
    assert '403' in refused.stderr
