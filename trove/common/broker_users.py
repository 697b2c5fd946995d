"""A RabbitMQ user per instance, allowed only its own queues and the
conductor (issue 23, doc/faults-and-security.md).

With ``[DEFAULT] guest_broker_users`` on, the taskmanager makes, when it
creates an instance's server, a broker user ``trove-guest-<instance id>``
with a random password on the vhost of the guest's transport URL, and
gives that guest only these credentials (its ``trove-guestagent.conf``
gets the operator's URL with the user and password replaced). The
instance's delete removes the user.

What the user may do (regexes over resource names, RabbitMQ's
configure / write / read permissions, plus topic permissions on the
control exchange, which restrict routing keys):

* its own RPC server's queues and fanout exchange
  (``guestagent.<id>``, ``guestagent.<id>.<id>``,
  ``guestagent.<id>_fanout[_<hex>]``): declare, bind, consume;
* the control exchange (``trove``): bind its own queues to it only with
  its own routing keys, publish to it only with the conductor's routing
  key (``trove-conductor``); no configure on it (it declares it only
  passively, trove.common.rpc_replies: it cannot delete it);
* RPC replies: publish to the replies exchange (``trove_replies``,
  trove.common.rpc_replies: it routes only to reply queues), and
  declare and consume its own reply queue (``reply_<hex>``) for the one
  call it makes to the conductor.

Everything else is refused by the broker (ACCESS_REFUSED): consuming
another instance's queue or the taskmanager's, publishing to the
taskmanager through the control exchange, binding a queue to another
routing key, deleting the control exchange. What oslo.messaging makes
unavoidable is written down in the doc.

Two ways to manage users, behind :class:`BrokerUsers`: the management
HTTP API when ``broker_management_url`` is set (a cloud's broker), else
``rabbitmqctl`` on the taskmanager's host (trove-local).
"""

import base64
import hashlib
import json
import re
import secrets
import shutil
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request

from oslo_log import log as logging

from trove.common import broker_names
from trove.conf import CONF

LOG = logging.getLogger(__name__)

USER_PREFIX = broker_names.INSTANCE_USER_PREFIX
# Instance ids are UUIDs; anything else is not put into a regex.
_SAFE_ID = re.compile(r'^[0-9A-Za-z-]{1,64}$')


class BrokerUserError(RuntimeError):
    pass


def enabled():
    """Whether instances get a broker user of their own: the option, or
    when unset, whether a management API is configured."""
    if CONF.guest_broker_users is not None:
        return CONF.guest_broker_users
    return bool(CONF.broker_management_url)


def user_name(instance_id):
    return USER_PREFIX + instance_id


class Permissions:
    """The regexes of one instance's user (anchored: RabbitMQ matches
    them anywhere in a name otherwise)."""

    def __init__(self, instance_id, control_exchange, conductor_topic):
        if not _SAFE_ID.match(instance_id or ''):
            raise BrokerUserError('not an instance id: %r' % instance_id)
        guest = r'guestagent\.%s' % instance_id
        own = r'%s(\.%s|_fanout(_[0-9a-f]+)?)?' % (guest, instance_id)
        exchange = re.escape(control_exchange)
        reply = r'reply_[0-9a-f]+'
        # Replies go through this exchange (trove.common.rpc_replies),
        # not the default one, which reaches every queue.
        replies = re.escape(control_exchange + '_replies')
        self.control_exchange = control_exchange
        # Not the control exchange: the guest declares it only passively
        # (trove.common.rpc_replies), and configure would let it delete
        # the exchange.
        self.configure = '^(%s|%s)$' % (own, reply)
        self.write = '^(%s|%s|%s)$' % (own, exchange, replies)
        self.read = '^(%s|%s|%s)$' % (own, reply, exchange)
        # Routing keys on the control exchange (a topic exchange).
        self.topic_write = '^%s$' % re.escape(conductor_topic)
        self.topic_read = r'^%s(\.%s)?$' % (guest, instance_id)


class BrokerUsers:
    """Creates and deletes broker users (one per instance)."""

    def ensure(self, name, password, vhost, permissions):
        """The user exists with this password and these permissions on
        ``vhost`` (created, or its password and permissions reset)."""
        raise NotImplementedError

    def delete(self, name):
        """Delete the user; nothing if it does not exist."""
        raise NotImplementedError

    def exists(self, name):
        raise NotImplementedError


HASHING_ALGORITHM = 'rabbit_password_hashing_sha256'


def password_hash(password):
    """RabbitMQ's stored form of a password: base64 of a 4-byte salt
    followed by SHA-256(salt + password)."""
    salt = secrets.token_bytes(4)
    digest = hashlib.sha256(salt + password.encode('utf-8')).digest()
    return base64.b64encode(salt + digest).decode('ascii')


_DEFINITION_KEYS = ('users', 'permissions', 'topic_permissions')


def _definitions(name, password, vhost, permissions):
    return {
        'users': [{'name': name, 'password_hash': password_hash(password),
                   'hashing_algorithm': HASHING_ALGORITHM, 'tags': []}],
        'permissions': [{'user': name, 'vhost': vhost,
                         'configure': permissions.configure,
                         'write': permissions.write,
                         'read': permissions.read}],
        'topic_permissions': [{'user': name, 'vhost': vhost,
                               'exchange': permissions.control_exchange,
                               'write': permissions.topic_write,
                               'read': permissions.topic_read}],
    }


class _UserRequest:
    def __init__(self, name, definitions):
        self.name = name
        self.definitions = definitions
        self.error = None
        self.done = threading.Event()

    def finish(self, error):
        if not self.done.is_set():
            self.error = error
            self.done.set()


class Rabbitmqctl(BrokerUsers):
    """``rabbitmqctl`` of the local node (passwords go on its stdin,
    never on a command line)."""

    NO_USER = 67

    def _run(self, *args, stdin=None, ok=(0,)):
        if not shutil.which('rabbitmqctl'):
            raise BrokerUserError('rabbitmqctl is not installed')
        result = subprocess.run(['rabbitmqctl', '-q'] + list(args),
                                input=stdin, capture_output=True, text=True,
                                timeout=60)
        if result.returncode not in ok:
            raise BrokerUserError('rabbitmqctl %s failed: %s' % (
                args[0], (result.stderr or result.stdout).strip()))
        return result

    def __init__(self):
        self._pending = []
        self._wakeup = threading.Condition()
        self._worker = None

    def ensure(self, name, password, vhost, permissions):
        """``import_definitions`` (RabbitMQ 3.9 or later) makes or resets
        the user with its permissions and topic permissions: each
        rabbitmqctl run starts an Erlang VM (about 0.4 CPU seconds), so
        one import serves every user asked for while the previous one
        ran (concurrent builds share it), where three commands a user
        cost every create over a CPU second. The password travels as
        RabbitMQ's salted SHA-256 hash, on stdin."""
        request = _UserRequest(name, _definitions(name, password, vhost,
                                                  permissions))
        with self._wakeup:
            self._pending.append(request)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._import_batches, daemon=True,
                    name='broker-users')
                self._worker.start()
            self._wakeup.notify()
        request.done.wait()
        if request.error is not None:
            raise request.error

    def _import_batches(self):
        while True:
            with self._wakeup:
                while not self._pending:
                    self._wakeup.wait()
                batch, self._pending = self._pending, []
            try:
                self._import(batch)
            except Exception as error:  # no builder may wait forever
                for request in batch:
                    request.finish(error)

    def _import(self, batch):
        merged = {key: [item for request in batch
                        for item in request.definitions[key]]
                  for key in _DEFINITION_KEYS}
        try:
            self._run('import_definitions', stdin=json.dumps(merged))
        except BrokerUserError as error:
            if len(batch) > 1:
                # One bad user (its vhost went away, say) must not fail
                # the others: each on its own.
                for request in batch:
                    self._import([request])
                return
            # The import is not atomic: the user may exist without its
            # permissions, listed on no vhost, where nothing that cleans
            # up a vhost's users would ever find it.
            self.delete(batch[0].name)
            batch[0].finish(error)
            return
        for request in batch:
            request.finish(None)

    def delete(self, name):
        self._run('delete_user', name, ok=(0, self.NO_USER))

    def instance_users_of(self, vhost):
        """The instance users (``trove-guest-*``) with permissions on
        ``vhost``."""
        result = self._run('list_permissions', '-p', vhost,
                           '--no-table-headers')
        return sorted({line.split('\t')[0]
                       for line in result.stdout.splitlines()
                       if line.startswith(USER_PREFIX)})

    def exists(self, name):
        result = self._run('list_users', '--no-table-headers')
        return name in [line.split('\t')[0]
                        for line in result.stdout.splitlines()]


class ManagementApi(BrokerUsers):
    """The RabbitMQ management plugin's HTTP API."""

    def __init__(self, url, user, password, timeout=30):
        self.url = url.rstrip('/')
        self.auth = (user, password)
        self.timeout = timeout

    def _request(self, method, path, body=None, ok=(200, 201, 204)):
        url = self.url + '/api/' + '/'.join(
            urllib.parse.quote(part, safe='') for part in path)
        request = urllib.request.Request(
            url, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={'Content-Type': 'application/json',
                     'Authorization': 'Basic ' + base64.b64encode(
                         ('%s:%s' % self.auth).encode()).decode()})
        try:
            with urllib.request.urlopen(request,
                                        timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
            text = error.read()[:200].decode('utf-8', 'replace')
        except OSError as error:
            raise BrokerUserError('RabbitMQ management API %s %s: %s'
                                  % (method, path[0], error)) from error
        else:
            text = ''
        if status not in ok:
            raise BrokerUserError('RabbitMQ management API %s %s answered '
                                  '%d: %s' % (method, path[0], status, text))
        return status

    def ensure(self, name, password, vhost, permissions):
        created = self._request('PUT', ('users', name),
                                {'password': password, 'tags': ''}) == 201
        try:
            self._request('PUT', ('permissions', vhost, name),
                          {'configure': permissions.configure,
                           'write': permissions.write,
                           'read': permissions.read})
            self._request('PUT', ('topic-permissions', vhost, name),
                          {'exchange': permissions.control_exchange,
                           'write': permissions.topic_write,
                           'read': permissions.topic_read})
        except BrokerUserError:
            # As Rabbitmqctl.ensure: no user left without permissions.
            if created:
                self.delete(name)
            raise

    def delete(self, name):
        self._request('DELETE', ('users', name), ok=(200, 204, 404))

    def exists(self, name):
        return self._request('GET', ('users', name), ok=(200, 404)) == 200


def manager():
    """The configured way to manage users."""
    if CONF.broker_management_url:
        return ManagementApi(CONF.broker_management_url,
                             CONF.broker_management_user,
                             CONF.broker_management_password)
    global _rabbitmqctl
    with _rabbitmqctl_lock:
        if _rabbitmqctl is None:
            # One per process: its imports are shared by concurrent builds.
            _rabbitmqctl = Rabbitmqctl()
        return _rabbitmqctl


_rabbitmqctl = None
_rabbitmqctl_lock = threading.Lock()


def vhost_of(transport_url):
    """The vhost of a transport URL ('/' when it names none)."""
    path = urllib.parse.urlsplit(transport_url).path
    vhost = urllib.parse.unquote(path[1:]) if path.startswith('/') else ''
    return vhost or '/'


def with_credentials(transport_url, user, password):
    """``transport_url`` with every host's user and password replaced."""
    parts = urllib.parse.urlsplit(transport_url)
    userinfo = '%s:%s@' % (urllib.parse.quote(user, safe=''),
                           urllib.parse.quote(password, safe=''))
    hosts = [host.rpartition('@')[2] for host in parts.netloc.split(',')]
    netloc = ','.join(userinfo + host for host in hosts)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def provision(instance_id, transport_url, control_exchange,
              conductor_topic, users=None):
    """Make (or reset) the instance's user; the transport URL its guest
    uses."""
    users = users or manager()
    name = user_name(instance_id)
    password = secrets.token_urlsafe(24)
    users.ensure(name, password, vhost_of(transport_url),
                 Permissions(instance_id, control_exchange,
                             conductor_topic))
    LOG.info('Broker user %s made for instance %s', name, instance_id)
    return with_credentials(transport_url, name, password)


def remove(instance_id, users=None):
    (users or manager()).delete(user_name(instance_id))
