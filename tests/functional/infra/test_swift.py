"""The real one-node Swift of trove.localenv.swift with python-swiftclient:
tempauth objects, static large objects, and Keystone-scoped accounts."""

import hashlib
import os

import pytest
import swiftclient
from swiftclient import service as swift_service

pytestmark = pytest.mark.functional


def test_tempauth_put_and_get_object_with_metadata(swift_server):
    connection = swift_server.tempauth_connection()
    payload = os.urandom(256 * 1024)

    connection.put_container('backups')
    etag = connection.put_object('backups', 'full.xbstream', payload,
                                 headers={'X-Object-Meta-Lsn': '4242'})
    headers, body = connection.get_object('backups', 'full.xbstream')

    assert body == payload
    assert etag == hashlib.md5(payload).hexdigest()
    assert headers['x-object-meta-lsn'] == '4242'
    assert connection.url == swift_server.storage_url('trove')


def test_tempauth_wrong_key_is_refused(swift_server):
    connection = swiftclient.Connection(
        authurl=swift_server.server.auth_url, user='trove:backup',
        key='wrong', auth_version='1', retries=0)

    with pytest.raises(swiftclient.ClientException) as refused:
        connection.head_account()

    assert refused.value.http_status == 401


def test_static_large_object_round_trip(swift_server, tmp_path):
    segment_size = 256 * 1024
    source = tmp_path / 'stream.bin'
    source.write_bytes(os.urandom(segment_size * 3 + 1000))
    target = tmp_path / 'downloaded.bin'
    server = swift_server.server
    options = {'auth': server.auth_url, 'user': 'trove:backup',
               'key': server.tempauth_users['trove:backup'],
               'auth_version': '1', 'retries': 0}

    with swift_service.SwiftService(options=options) as service:
        uploads = list(service.upload('slo', [swift_service.SwiftUploadObject(
            str(source), object_name='stream.bin')],
            options={'segment_size': segment_size, 'use_slo': True}))
        downloads = list(service.download('slo', ['stream.bin'], options={
            'out_file': str(target)}))

    assert all(result['success'] for result in uploads + downloads), \
        [result.get('error') for result in uploads + downloads]
    segments = [result for result in uploads
                if result['action'] == 'upload_segment']
    assert len(segments) == 4
    headers = swift_server.tempauth_connection().head_object(
        'slo', 'stream.bin')
    assert headers['x-static-large-object'] == 'True'
    assert hashlib.md5(target.read_bytes()).hexdigest() == \
        hashlib.md5(source.read_bytes()).hexdigest()


def test_keystone_member_writes_to_own_project_account(
        swift_server_with_keystone, keystone_server):
    token = keystone_server.token('alice')
    account = swift_server_with_keystone.storage_url(token.project_id)

    swiftclient.put_container(account, token.token, 'alpha-backups')
    swiftclient.put_object(account, token.token, 'alpha-backups', 'one',
                           b'alpha data')
    _headers, body = swiftclient.get_object(account, token.token,
                                            'alpha-backups', 'one')

    assert body == b'alpha data'
    assert token.endpoint('object-store') == account


def test_keystone_member_is_refused_on_another_project_account(
        swift_server_with_keystone, keystone_server):
    token = keystone_server.token('alice')
    beta_account = swift_server_with_keystone.storage_url(
        keystone_server.identity.projects['beta'])

    with pytest.raises(swiftclient.ClientException) as refused:
        swiftclient.put_container(beta_account, token.token, 'intrusion')

    assert refused.value.http_status == 403


def test_keystone_mode_refuses_requests_without_a_token(
        swift_server_with_keystone, keystone_server):
    account = swift_server_with_keystone.storage_url(
        keystone_server.identity.projects['alpha'])

    with pytest.raises(swiftclient.ClientException) as refused:
        swiftclient.head_account(account, 'not-a-token')

    assert refused.value.http_status == 401


def test_swiftclient_finds_the_account_through_the_catalog(
        swift_server_with_keystone, keystone_server):
    bob = keystone_server.identity.users['bob']
    connection = swiftclient.Connection(
        authurl=keystone_server.auth_url, user=bob.username, key=bob.password,
        auth_version='3', retries=0, os_options={
            'project_name': 'beta', 'user_domain_id': 'default',
            'project_domain_id': 'default'})

    connection.put_container('beta-backups')
    _headers, containers = connection.get_account()

    assert connection.url == swift_server_with_keystone.storage_url(
        keystone_server.identity.projects['beta'])
    assert [c['name'] for c in containers] == ['beta-backups']
