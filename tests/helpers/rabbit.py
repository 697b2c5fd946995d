"""A private RabbitMQ virtual host per test session.

Topics (taskmanager, trove-conductor...) are queue names, shared by every
user of a vhost; a vhost of its own keeps concurrent test runs apart.
"""

import contextlib
import os
import shutil
import subprocess
import uuid

RABBIT_HOST = os.environ.get('TROVE_TEST_RABBIT_HOST', '127.0.0.1:5672')
RABBIT_CREDENTIALS = os.environ.get('TROVE_TEST_RABBIT_CREDENTIALS',
                                    'guest:guest')


def _rabbitmqctl(*args):
    return subprocess.run(['rabbitmqctl', '-q'] + list(args),
                          capture_output=True, text=True, timeout=60)


class RabbitVhost:

    def __init__(self):
        self.name = 'trove-test-' + uuid.uuid4().hex[:10]
        self.own_vhost = bool(shutil.which('rabbitmqctl')) and os.getuid() == 0
        if self.own_vhost:
            result = _rabbitmqctl('add_vhost', self.name)
            user = RABBIT_CREDENTIALS.split(':')[0]
            if result.returncode == 0:
                _rabbitmqctl('set_permissions', '-p', self.name, user,
                             '.*', '.*', '.*')
            else:
                self.own_vhost = False
        vhost = self.name if self.own_vhost else ''
        self.transport_url = 'rabbit://%s@%s/%s' % (RABBIT_CREDENTIALS,
                                                    RABBIT_HOST, vhost)

    def delete(self):
        if self.own_vhost:
            # The instances' own users (guest_broker_users) made on it.
            result = _rabbitmqctl('list_permissions', '-p', self.name,
                                  '--no-table-headers')
            for line in result.stdout.splitlines():
                user = line.split('\t')[0]
                if user.startswith('trove-guest-'):
                    _rabbitmqctl('delete_user', user)
            _rabbitmqctl('delete_vhost', self.name)

    def messages_in(self, queue):
        """Messages of ``queue`` not yet acknowledged by its consumer
        (ready + unacknowledged), or None when the broker cannot tell us
        (no vhost of our own)."""
        if not self.own_vhost:
            return None
        result = _rabbitmqctl('list_queues', '-p', self.name,
                              '--no-table-headers', 'name',
                              'messages_ready', 'messages_unacknowledged')
        for line in result.stdout.splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[0] == queue:
                return int(fields[1]) + int(fields[2])
        return 0


@contextlib.contextmanager
def private_transport_url():
    """A transport URL on a vhost nobody else uses, deleted afterwards.

    Every fixture that runs services consuming the standard topics
    (taskmanager, trove-conductor) needs one: the session's e2e system
    lives until the session ends, and two consumers of one topic on one
    vhost take turns at each other's messages.
    """
    vhost = RabbitVhost()
    try:
        yield vhost.transport_url
    finally:
        vhost.delete()
