"""No password, key or token in any log of a run, at any level.

The run makes secrets of every kind the system handles: a user's password
given at create, a password changed later, the root password Trove
generates, the instance's message key (in its guest_info.conf only), the
deployment's key of keys, the RabbitMQ password of the transport URL and
the password of the instance's own broker user;
it takes a backup and deletes the instance, so every service logged its
share. Then every log file under the state directory -- the services',
the guest agent's, the engine's -- is read in full: none of the secrets
is in it.
"""

import configparser
import os
import secrets
import urllib.parse

import pytest

from tests.e2e import system as e2e
from tests.e2e.test_backup_restore import wait_backup

pytestmark = pytest.mark.e2e


def _log_files(state_dir):
    for root, _dirs, files in os.walk(state_dir):
        in_logs = os.sep + 'logs' in root or root.endswith('log')
        for name in files:
            if in_logs or name.endswith('.log') or name.endswith('.err'):
                yield os.path.join(root, name)


def _grep(state_dir, found):
    """(files read, bytes read, [(what, path)] of every secret found)."""
    files = list(_log_files(state_dir))
    leaks = []
    read = 0
    for path in files:
        with open(path, 'rb') as log:
            text = log.read()
        read += len(text)
        for what, value in found.items():
            if value.encode() in text:
                leaks.append((what, path))
    return len(files), read, leaks


def test_no_secret_in_any_log(trove, trove_system):
    user_password = 'Pw-' + secrets.token_hex(12)
    new_password = 'Pw-' + secrets.token_hex(12)
    with open(os.path.join(trove_system.state_dir, 'inst_rpc_key')) as key:
        deployment_key = key.read().strip()
    found = {'user password': user_password,
             'changed password': new_password,
             'deployment key': deployment_key}
    rabbit_password = urllib.parse.urlsplit(
        trove_system.transport_url).password
    if rabbit_password and rabbit_password != 'guest':
        # The shared test broker's "guest" is a well-known name, not a
        # secret (and it is also the user name).
        found['RabbitMQ password'] = rabbit_password
    created = trove.instances.create(
        'secretive', flavor_id='1', volume={'size': 1}, datastore='mariadb',
        databases=[{'name': 'shop'}],
        users=[{'name': 'alice', 'password': user_password,
                'databases': [{'name': 'shop'}]}])
    try:
        e2e.wait_for_instance(trove, created.id, system=trove_system)
        _name, found['root password'] = trove.root.create_instance_root(
            created.id)
        trove.users.change_passwords(created.id, [
            {'name': 'alice', 'password': new_password}])
        backup = trove.backups.create('secret-backup', created.id)
        wait_backup(trove, backup.id, system=trove_system)
        info = configparser.RawConfigParser()
        info.read(os.path.join(trove_system.instance_dir(created.id), 'etc',
                               'guest_info.conf'))
        found['instance message key'] = info.defaults()[
            'instance_rpc_encr_key']
        guest_conf = configparser.RawConfigParser(strict=False)
        guest_conf.read(os.path.join(trove_system.instance_dir(created.id),
                                     'etc', 'trove-guestagent.conf'))
        broker_password = urllib.parse.urlsplit(
            guest_conf.defaults()['transport_url']).password
        if broker_password != 'guest':
            # The instance's own broker user (guest_broker_users).
            found['instance broker password'] = urllib.parse.unquote(
                broker_password)
        # While the instance exists: its guest's and engine's logs too.
        files, read, leaks = _grep(trove_system.state_dir, found)
    finally:
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)
    after_files, after_read, after_leaks = _grep(trove_system.state_dir,
                                                 found)
    print('\nread %d log files (%d bytes) with the instance, %d (%d bytes) '
          'after its deletion; %d secrets looked for, %d found'
          % (files, read, after_files, after_read, len(found),
             len(leaks) + len(after_leaks)))
    assert not leaks and not after_leaks, leaks + after_leaks
    assert all(value and len(value) >= 8 for value in found.values())
    assert files >= after_files >= 4 and read > 0
