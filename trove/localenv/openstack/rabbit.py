"""The RabbitMQ vhost of an OpenStack test stack, on the machine's broker.

Nova's and Cinder's topics (conductor, scheduler, compute.<host>...) are
plain queue names; a vhost of its own keeps one stack's services from
consuming another's messages. Created and deleted with rabbitmqctl, so
this needs root on the broker's machine.
"""

import os
import shutil
import subprocess

from trove.common import broker_users
from trove.localenv import external

RABBIT_HOST = os.environ.get('TROVE_TEST_RABBIT_HOST', '127.0.0.1:5672')
RABBIT_CREDENTIALS = os.environ.get('TROVE_TEST_RABBIT_CREDENTIALS',
                                    'guest:guest')


def transport_url(vhost):
    return 'rabbit://%s@%s/%s' % (RABBIT_CREDENTIALS, RABBIT_HOST, vhost)


def _rabbitmqctl(*args):
    if not shutil.which('rabbitmqctl'):
        raise external.ExternalServiceError(
            'rabbitmqctl is not installed: the OpenStack stack needs a '
            'RabbitMQ vhost of its own')
    return subprocess.run(['rabbitmqctl', '-q'] + list(args),
                          capture_output=True, text=True, timeout=60)


def create_vhost(name):
    user = RABBIT_CREDENTIALS.split(':')[0]
    for args in (('add_vhost', name),
                 ('set_permissions', '-p', name, user, '.*', '.*', '.*')):
        result = _rabbitmqctl(*args)
        if result.returncode != 0:
            raise external.ExternalServiceError(
                'rabbitmqctl %s failed: %s' % (args[0],
                                               result.stderr.strip()))


def delete_vhost(name):
    """Delete the vhost, and before it the instances' own broker users
    (guest_broker_users) on it: once the vhost is gone nothing lists
    them any more."""
    listed = _rabbitmqctl('list_permissions', '-p', name,
                          '--no-table-headers')
    for line in listed.stdout.splitlines():
        user = line.split('\t')[0]
        if user.startswith(broker_users.USER_PREFIX):
            _rabbitmqctl('delete_user', user)
    _rabbitmqctl('delete_vhost', name)
