"""The files injected into a new server for its guest agent.

``guest_info`` says who the guest is (generic keys only; the compute
driver adds where things live on its kind of server) and ``guest_config``
is the operator's ``[DEFAULT] guest_config`` file copied verbatim: it
tells the agent how to reach RabbitMQ and the conductor.
"""

import configparser
import io

from oslo_log import log as logging

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
    return base.GuestFiles(
        guest_info=guest_info_contents(instance_id, datastore_manager,
                                       datastore_version, tenant_id,
                                       instance_key),
        guest_config=guest_config_contents())
