"""Each instance's guest agent talks to RabbitMQ as a user of its own
(``guest_broker_users``, on in trove-local), made at create and deleted
with the instance (issue 23; the permissions themselves are shown by
tests/functional/test_guest_broker_users.py).
"""

import configparser
import os
import subprocess
import urllib.parse

import pytest

from tests.e2e import system as e2e
from trove.common import broker_users

pytestmark = pytest.mark.e2e


def _rabbitmqctl(*args):
    return subprocess.run(['rabbitmqctl', '-q'] + list(args),
                          capture_output=True, text=True,
                          timeout=60).stdout


def _users():
    return [line.split('\t')[0]
            for line in _rabbitmqctl('list_users',
                                     '--no-table-headers').splitlines()]


def _connected_users(vhost):
    rows = _rabbitmqctl('list_connections', '--no-table-headers', 'user',
                        'vhost').splitlines()
    return {row.split('\t')[0] for row in rows
            if row.split('\t')[-1] == vhost}


def test_instance_has_its_own_broker_user(trove, trove_system):
    conf = configparser.RawConfigParser(strict=False)
    conf.read(os.path.join(trove_system.state_dir, 'trove.conf'))
    assert conf.defaults()['guest_broker_users'] == 'true'
    deployment_url = urllib.parse.urlsplit(trove_system.transport_url)
    vhost = broker_users.vhost_of(trove_system.transport_url)

    created = trove.instances.create(
        'own-broker-user', flavor_id='1', volume={'size': 1},
        datastore='mariadb')
    name = broker_users.user_name(created.id)
    try:
        e2e.wait_for_instance(trove, created.id, system=trove_system)
        guest_conf = configparser.RawConfigParser(strict=False)
        guest_conf.read(os.path.join(trove_system.instance_dir(created.id),
                                     'etc', 'trove-guestagent.conf'))
        url = urllib.parse.urlsplit(guest_conf.defaults()['transport_url'])
        # Only its own credentials, on the deployment's broker and vhost.
        assert url.username == name
        assert url.password and url.password != deployment_url.password
        assert (url.hostname, url.port, url.path) == (
            deployment_url.hostname, deployment_url.port,
            deployment_url.path)
        assert name in _users()
        # Its agent is connected as that user (and it is ACTIVE, so its
        # heartbeats reached the conductor).
        assert name in _connected_users(vhost)
        # Its permissions name its own queues only.
        permissions = _rabbitmqctl('list_user_permissions', name)
        assert created.id in permissions
        assert 'trove-taskmanager' not in permissions
        assert 'amq' not in permissions

        # The API's call to the guest is answered through its user.
        assert trove.instances.get(created.id).status == 'ACTIVE'
        databases = trove.databases.list(created.id)
        assert isinstance(list(databases), list)
        # Nothing the agent does is refused by the broker.
        logs = os.path.join(trove_system.instance_dir(created.id), 'logs')
        read = 0
        for root, _dirs, files in os.walk(logs):
            for file_name in files:
                with open(os.path.join(root, file_name), 'rb') as log:
                    text = log.read()
                read += len(text)
                assert b'ACCESS_REFUSED' not in text, file_name
        assert read > 0
    finally:
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)
    assert name not in _users()
