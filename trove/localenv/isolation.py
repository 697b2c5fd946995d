"""What keeps two trove-local deployments on one machine apart.

Each state directory is a deployment with

* a RabbitMQ virtual host of its own (``trove-local-<hash>``), created at
  ``up`` and deleted at ``down``: on a shared vhost one deployment's
  taskmanager takes the other's casts;
* a loopback /16 of its own for instance addresses: the first
  deployment gets 127.10.0.0/16, the next ones 127.11, 127.12... A
  registry (``$XDG_STATE_HOME/trove-local/deployments.json``, under a
  lock) remembers which state directory holds which, and forgets
  deployments whose directory is gone.

What a deployment chose is kept in ``<state dir>/deployment.json`` so a
second ``up`` reuses it. An explicit ``--transport-url`` or
``--address-pool`` is used as given.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess

FIRST_POOL_OCTET = 10
LAST_POOL_OCTET = 250
DEFAULT_BROKER = '127.0.0.1:5672'
DEFAULT_CREDENTIALS = ('guest', 'guest')


class IsolationError(RuntimeError):
    pass


def _registry_path():
    base = os.environ.get('XDG_STATE_HOME') or os.path.join(
        os.path.expanduser('~'), '.local', 'state')
    return os.path.join(base, 'trove-local', 'deployments.json')


@contextlib.contextmanager
def _registry():
    """The registry {state dir: pool}, locked, written back on exit."""
    path = _registry_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                with open(path) as source:
                    entries = json.load(source)
            except (FileNotFoundError, ValueError):
                entries = {}
            # Deployments whose state directory is gone free their pool.
            entries = {state_dir: pool for state_dir, pool in entries.items()
                       if os.path.exists(os.path.join(state_dir,
                                                      'trove.conf'))}
            yield entries
            with open(path + '.tmp', 'w') as target:
                json.dump(entries, target, indent=2, sort_keys=True)
            os.replace(path + '.tmp', path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _record_path(state_dir):
    return os.path.join(state_dir, 'deployment.json')


def load(state_dir):
    """What the deployment of ``state_dir`` chose ({} if nothing yet)."""
    try:
        with open(_record_path(state_dir)) as source:
            return json.load(source)
    except (FileNotFoundError, ValueError):
        return {}


def _save(state_dir, record):
    os.makedirs(state_dir, exist_ok=True)
    with open(_record_path(state_dir), 'w') as target:
        json.dump(record, target, indent=2, sort_keys=True)


def address_pool(state_dir, requested=None):
    """The deployment's loopback /16: ``requested``, the one it had, or
    the first no other live deployment holds."""
    state_dir = os.path.abspath(state_dir)
    record = load(state_dir)
    with _registry() as entries:
        pool = requested or record.get('address_pool') or \
            entries.get(state_dir)
        if not pool:
            taken = {p for d, p in entries.items() if d != state_dir}
            for octet in range(FIRST_POOL_OCTET, LAST_POOL_OCTET + 1):
                candidate = '127.%d.0.0/16' % octet
                if candidate not in taken:
                    pool = candidate
                    break
            else:
                raise IsolationError('every loopback /16 from 127.%d to '
                                     '127.%d is held by another trove-local '
                                     'deployment; pass --address-pool'
                                     % (FIRST_POOL_OCTET, LAST_POOL_OCTET))
        entries[state_dir] = pool
    record['address_pool'] = pool
    _save(state_dir, record)
    return pool


def vhost_name(state_dir):
    digest = hashlib.sha1(os.path.abspath(state_dir).encode()).hexdigest()
    return 'trove-local-' + digest[:10]


def _rabbitmqctl(*args):
    if not shutil.which('rabbitmqctl'):
        raise IsolationError('rabbitmqctl is not installed')
    result = subprocess.run(['rabbitmqctl', '-q'] + list(args),
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise IsolationError('rabbitmqctl %s failed: %s' % (
            ' '.join(args), (result.stderr or result.stdout).strip()))
    return result.stdout


def transport_url(state_dir, requested=None):
    """The deployment's transport URL: ``requested``, or one on a vhost of
    its own (created now when missing)."""
    record = load(state_dir)
    if requested:
        record.pop('vhost', None)
        record['transport_url'] = requested
        _save(state_dir, record)
        return requested
    name = vhost_name(state_dir)
    user, password = DEFAULT_CREDENTIALS
    existing = _rabbitmqctl('list_vhosts', '--no-table-headers', 'name')
    if name not in existing.split():
        _rabbitmqctl('add_vhost', name)
    _rabbitmqctl('set_permissions', '-p', name, user, '.*', '.*', '.*')
    url = 'rabbit://%s:%s@%s/%s' % (user, password, DEFAULT_BROKER, name)
    record.update(vhost=name, transport_url=url)
    _save(state_dir, record)
    return url


def remove_instance_users(vhost):
    """Delete the instances' own broker users (guest_broker_users) of
    ``vhost``; returns their names."""
    from trove.common import broker_users
    users = broker_users.Rabbitmqctl()
    try:
        names = users.instance_users_of(vhost)
        for name in names:
            users.delete(name)
    except broker_users.BrokerUserError as error:
        raise IsolationError(str(error)) from error
    return names


def restore_instance_users(instances_dir, control_exchange='trove',
                           conductor_topic='trove-conductor'):
    """Make again the broker users of the deployment's instances, with
    the password each guest holds (``down`` deleted them with the vhost;
    a guest started again must log in); returns their names."""
    import configparser
    import urllib.parse
    from trove.common import broker_users
    users = broker_users.Rabbitmqctl()
    restored = []
    if not os.path.isdir(instances_dir):
        return restored
    for server in sorted(os.listdir(instances_dir)):
        etc = os.path.join(instances_dir, server, 'etc')
        conf = configparser.RawConfigParser(strict=False)
        info = configparser.RawConfigParser(strict=False)
        try:
            conf.read(os.path.join(etc, 'trove-guestagent.conf'))
            info.read(os.path.join(etc, 'guest_info.conf'))
        except configparser.Error:
            continue
        url = conf.defaults().get('transport_url', '')
        instance_id = info.defaults().get('guest_id')
        parts = urllib.parse.urlsplit(url)
        name = urllib.parse.unquote(parts.username or '')
        if not instance_id or name != broker_users.user_name(instance_id):
            continue
        try:
            users.ensure(name, urllib.parse.unquote(parts.password or ''),
                         broker_users.vhost_of(url),
                         broker_users.Permissions(
                             instance_id,
                             conf.defaults().get('control_exchange')
                             or control_exchange, conductor_topic))
        except broker_users.BrokerUserError as error:
            raise IsolationError(str(error)) from error
        restored.append(name)
    return restored


def remove_vhost(state_dir):
    """Delete the vhost ``up`` created for the deployment, and the
    instances' broker users on it; returns its name, or None if it had
    none."""
    record = load(state_dir)
    name = record.get('vhost')
    if not name:
        return None
    try:
        remove_instance_users(name)
        _rabbitmqctl('delete_vhost', name)
    except IsolationError as error:
        if 'does not exist' not in str(error) and \
                'not_found' not in str(error):
            raise
    return name
