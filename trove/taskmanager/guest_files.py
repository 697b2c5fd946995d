"""The files injected into a new server for its guest agent.

``guest_info`` says who the guest is (generic keys only; the compute
driver adds where things live on its kind of server) and ``guest_config``
is the operator's ``[DEFAULT] guest_config`` file copied verbatim: it
tells the agent how to reach RabbitMQ and the conductor. With
``guest_broker_users`` on, its ``transport_url`` is replaced by one with
the instance's own broker user (trove.common.broker_users).
"""

import configparser
import io
import re

from oslo_log import log as logging

from trove.common import broker_users
from trove.common import sealed_messages
from trove.compute import base
from trove.conf import CONF

LOG = logging.getLogger(__name__)


def guest_config_contents():
    """The operator's guest config file, or an empty config."""
    path = CONF.guest_config
    try:
        with open(path) as source:
            return source.read()
    except FileNotFoundError:
        LOG.warning('Guest config %s does not exist; guests get an empty '
                    'trove-guestagent.conf', path)
        return ''


def _guest_settings(text):
    """transport_url, control_exchange and conductor_queue the guest
    will use: its config's, else the taskmanager's own."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        LOG.warning('Guest config %s is not parseable here; using the '
                    'taskmanager\'s transport settings', CONF.guest_config)
    defaults = parser.defaults()
    return (defaults.get('transport_url') or CONF.transport_url
            or 'rabbit://guest:guest@localhost:5672/',
            defaults.get('control_exchange') or CONF.control_exchange,
            defaults.get('conductor_queue') or CONF.conductor_queue)


_SECTION = re.compile(r'^\s*\[(?P<name>[^\]]+)\]\s*$')
_TRANSPORT_URL = re.compile(r'^\s*transport_url\s*[=:]')


def with_transport_url(text, url):
    """The config ``text`` with its [DEFAULT] transport_url set to
    ``url`` (every other line as it was)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith('\n'):
        lines[-1] += '\n'
    out, section, placed, default_header = [], 'DEFAULT', False, None
    for line in lines:
        match = _SECTION.match(line)
        if match:
            section = match.group('name').strip()
            if section == 'DEFAULT' and default_header is None:
                default_header = len(out)
        elif section == 'DEFAULT' and _TRANSPORT_URL.match(line):
            if not placed:
                out.append('transport_url = %s\n' % url)
                placed = True
            continue
        out.append(line)
    if not placed:
        setting = 'transport_url = %s\n' % url
        if default_header is None:
            out[:0] = ['[DEFAULT]\n', setting]
        else:
            out.insert(default_header + 1, setting)
    return ''.join(out)


def own_broker_user(instance_id, text):
    """The guest config with the instance's own broker user (made now)."""
    transport_url, exchange, conductor = _guest_settings(text)
    url = broker_users.provision(instance_id, transport_url, exchange,
                                 conductor)
    return with_transport_url(text, url)


def guest_info_contents(instance_id, datastore_manager, datastore_version,
                        tenant_id, instance_key=None):
    parser = configparser.RawConfigParser()
    values = {'guest_id': instance_id,
              'datastore_manager': datastore_manager,
              'datastore_version': datastore_version,
              'tenant_id': tenant_id,
              # Only this guest's file holds its key (upstream's name).
              'instance_rpc_encr_key': instance_key}
    for key, value in values.items():
        if value is not None:
            parser.set(configparser.DEFAULTSECT, key, str(value))
    text = io.StringIO()
    parser.write(text)
    return text.getvalue()


def build(instance_id, datastore_manager, datastore_version, tenant_id,
          encrypted_key=None):
    """The files of a new server; ``encrypted_key`` is the instance row's
    (None: an instance created without a key sends plain messages)."""
    instance_key = (sealed_messages.decrypt_instance_key(encrypted_key)
                    if encrypted_key else None)
    guest_config = guest_config_contents()
    if broker_users.enabled():
        guest_config = own_broker_user(instance_id, guest_config)
    return base.GuestFiles(
        guest_info=guest_info_contents(instance_id, datastore_manager,
                                       datastore_version, tenant_id,
                                       instance_key),
        guest_config=guest_config)
