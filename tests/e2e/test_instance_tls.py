"""TLS to instances on real engines (doc/tls.md).

A MariaDB instance asks for enforced TLS in its create request, a
PostgreSQL one through ``POST /instances/{id}/ssl`` once it runs. Either
way ``GET .../ssl`` shows the mode and the deployment authority's
certificate; a login verifying the server against that certificate and
the instance's address works (PyMySQL with ssl_verify_identity, psycopg
with sslmode=verify-full) and uses TLS, and a plain-text login is
refused. Each instance then goes to mutual TLS: a login needs a client
certificate the API issued for the user.
"""

import glob
import os
import time
import uuid

import psycopg
import pymysql
import pytest
import requests

from tests.e2e import system as e2e

pytestmark = pytest.mark.e2e

USER, PASSWORD, DATABASE = 'tlsuser', 'tls-pw-42', 'tlsdb'


def _create(system, project, datastore, ssl=None):
    body = {'instance': {
        'name': 'tls-' + datastore, 'flavorRef': '1',
        'volume': {'size': 1}, 'datastore': {'type': datastore},
        'databases': [{'name': DATABASE}],
        'users': [{'name': USER, 'password': PASSWORD,
                   'databases': [{'name': DATABASE}]}]}}
    if ssl is not None:
        body['instance']['ssl'] = ssl
    response = requests.post(system.endpoint(project) + '/instances',
                             json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()['instance']['id']


def _ssl_url(system, project, instance_id):
    return '%s/instances/%s/ssl' % (system.endpoint(project), instance_id)


def _wait_for_tls(system, project, instance_id, mode, timeout=120):
    deadline = time.monotonic() + timeout
    shown = None
    while time.monotonic() < deadline:
        shown = requests.get(_ssl_url(system, project, instance_id),
                             timeout=30).json()['ssl']
        if shown['status'] == 'on' and shown['mode'] == mode \
                and 'pending_mode' not in shown:
            return shown
        time.sleep(1)
    raise AssertionError('TLS of %s is %s, not %s' % (instance_id, shown,
                                                      mode))


def _verified_login(datastore, address, ca_path):
    """Over TLS, the server verified against the CA and its address; the
    engine's own view of the session's encryption."""
    if datastore == 'postgresql':
        with psycopg.connect(host=address, port=5432, user=USER,
                             password=PASSWORD, dbname=DATABASE,
                             sslmode='verify-full', sslrootcert=ca_path,
                             connect_timeout=10) as connection:
            return connection.execute(
                'SELECT ssl FROM pg_stat_ssl WHERE pid = '
                'pg_backend_pid()').fetchone()[0]
    connection = pymysql.connect(
        host=address, port=3306, user=USER, password=PASSWORD,
        database=DATABASE, connect_timeout=10,
        ssl_ca=ca_path, ssl_verify_cert=True, ssl_verify_identity=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            return bool(cursor.fetchone()[1])
    finally:
        connection.close()


def _plain_login(datastore, address):
    if datastore == 'postgresql':
        psycopg.connect(host=address, port=5432, user=USER,
                        password=PASSWORD, dbname=DATABASE,
                        sslmode='disable', connect_timeout=10).close()
    else:
        # PyMySQL 2 uses TLS whenever the server offers it.
        pymysql.connect(host=address, port=3306, user=USER,
                        password=PASSWORD, database=DATABASE,
                        connect_timeout=10, ssl_disabled=True).close()


def _tls_login(datastore, address, ca_path, cert=None, key=None):
    """A verified TLS login, with a client certificate if given."""
    if datastore == 'postgresql':
        extra = {'sslcert': cert, 'sslkey': key} if cert else {}
        with psycopg.connect(host=address, port=5432, user=USER,
                             password=PASSWORD, dbname=DATABASE,
                             sslmode='verify-full', sslrootcert=ca_path,
                             connect_timeout=10, **extra) as connection:
            return connection.execute('SELECT 1').fetchone()[0]
    extra = {'ssl_cert': cert, 'ssl_key': key} if cert else {}
    connection = pymysql.connect(
        host=address, port=3306, user=USER, password=PASSWORD,
        database=DATABASE, connect_timeout=10, ssl_ca=ca_path,
        ssl_verify_cert=True, ssl_verify_identity=True, **extra)
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1')
            return cursor.fetchone()[0]
    finally:
        connection.close()


def _assert_not_logged(system, private_key):
    """The key was shown once: no log of the deployment holds it."""
    secret = ''.join(private_key.strip().splitlines()[1:-1])[:40]
    for path in glob.glob(os.path.join(system.state_dir, '**', '*.log'),
                          recursive=True):
        with open(path, errors='replace') as log:
            assert secret not in log.read().replace('\n', ''), path


def _check_mutual_tls(system, project, client, instance_id, datastore,
                      address, tmp_path, ca_path):
    """mtls: a login needs the password and a client certificate the
    API issued for that user."""
    url = _ssl_url(system, project, instance_id)
    changed = requests.post(url, json={'ssl': {'enable': True,
                                               'mode': 'mtls'}}, timeout=30)
    assert changed.status_code == 202, changed.text
    e2e.wait_for_instance(client, instance_id, system=system)
    _wait_for_tls(system, project, instance_id, 'mtls')
    answer = requests.post(url, json={'ssl': {'client_certificate': {
        'user': USER}}}, timeout=30)
    assert answer.status_code == 200, answer.text
    issued = answer.json()['ssl']['client_certificate']
    assert issued['cn'] == USER
    cert, key = tmp_path / 'client.crt', tmp_path / 'client.key'
    cert.write_text(issued['certificate'])
    key.write_text(issued['private_key'])
    key.chmod(0o600)
    assert _tls_login(datastore, address, ca_path, str(cert),
                      str(key)) == 1
    _assert_not_logged(system, issued['private_key'])
    with pytest.raises((psycopg.OperationalError,
                        pymysql.err.OperationalError)):
        _tls_login(datastore, address, ca_path)


@pytest.mark.parametrize('datastore,at_create', [('mariadb', True),
                                                 ('postgresql', False)])
def test_enforced_tls_verified_login_and_plain_login_refused(
        trove_system, datastore, at_create, tmp_path):
    project = 'e2e-' + uuid.uuid4().hex[:8]
    client = trove_system.client(project)
    instance_id = _create(trove_system, project, datastore,
                          ssl={'mode': 'enforced'} if at_create else None)
    try:
        instance = e2e.wait_for_instance(client, instance_id,
                                         system=trove_system)
        address = instance.ip[0]
        url = _ssl_url(trove_system, project, instance_id)
        if not at_create:
            shown = requests.get(url, timeout=30).json()['ssl']
            assert shown['status'] == 'off'
            # Bad input: 400 in Trove's fault format, nothing changes.
            bad = requests.post(url, json={'ssl': {'enable': True,
                                                   'mode': 'paranoid'}},
                                timeout=30)
            assert bad.status_code == 400, bad.text
            assert bad.json()['badRequest']['code'] == 400
            changed = requests.post(url, json={'ssl': {
                'enable': True, 'mode': 'enforced'}}, timeout=30)
            assert changed.status_code == 202, changed.text
            assert changed.json()['ssl']['pending_mode'] == 'enforced'
            e2e.wait_for_instance(client, instance_id, system=trove_system)
        shown = _wait_for_tls(trove_system, project, instance_id,
                              'enforced')
        assert address in shown['certificate']['san']
        ca_path = tmp_path / 'ca.crt'
        ca_path.write_text(shown['ca_certificate'])

        assert _verified_login(datastore, address, str(ca_path)) is True
        with pytest.raises((psycopg.OperationalError,
                            pymysql.err.OperationalError)):
            _plain_login(datastore, address)
        _check_mutual_tls(trove_system, project, client, instance_id,
                          datastore, address, tmp_path, str(ca_path))
    finally:
        client.instances.delete(instance_id)
        e2e.wait_for_deleted(client, instance_id)
