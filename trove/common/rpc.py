"""RPC over oslo.messaging: transport, serialization, clients and servers.

Every service talks over one transport (``transport_url``, exchange
``control_exchange`` = trove). Messages carry the request context as a
dict; arguments are JSON-safe values. Servers use the threading executor.
"""

import threading

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_messaging.rpc import dispatcher
from oslo_serialization import jsonutils

from trove.common import context as trove_context
from trove.common import rpc_replies
from trove.conf import CONF

LOG = logging.getLogger(__name__)

# Exceptions raised by a server in these modules are re-raised as the
# same class in the caller (GuestError, NotFound...).
ALLOWED_EXMODS = ['trove.common.exception']

_lock = threading.Lock()
_transport = None


def get_transport():
    global _transport
    with _lock:
        if _transport is None:
            rpc_replies.install()
            _transport = messaging.get_rpc_transport(
                CONF, allowed_remote_exmods=ALLOWED_EXMODS)
        return _transport


def cleanup():
    global _transport
    with _lock:
        if _transport is not None:
            _transport.cleanup()
            _transport = None


class ContextSerializer(messaging.Serializer):
    """Context as a dict on the wire; entities through JSON primitives."""

    def serialize_entity(self, context, entity):
        return jsonutils.to_primitive(entity, convert_instances=True)

    def deserialize_entity(self, context, entity):
        return entity

    def serialize_context(self, context):
        return context.to_dict() if context is not None else {}

    def deserialize_context(self, context):
        return trove_context.TroveContext.from_dict(context or {})


def version_cap(service, aliases, latest):
    """The version a client may send, from ``[upgrade_levels]``."""
    level = getattr(CONF.upgrade_levels, service)
    if level == 'latest':
        return latest
    return aliases.get(level, level)


def get_client(topic, version_cap, server=None, timeout=None,
               serializer=None, mandatory=False):
    """``mandatory``: a message no queue receives (nobody declared the
    topic's queue yet, as after a broker restart) raises
    ``messaging.MessageUndeliverable`` instead of vanishing."""
    target = messaging.Target(topic=topic, server=server, version='1.0')
    options = (messaging.TransportOptions(at_least_once=True) if mandatory
               else None)
    return messaging.get_rpc_client(get_transport(), target,
                                    version_cap=version_cap,
                                    serializer=serializer or ContextSerializer(),
                                    timeout=timeout,
                                    transport_options=options)


def get_server(topic, server, endpoints, serializer=None):
    target = messaging.Target(topic=topic, server=server)
    return messaging.get_rpc_server(
        get_transport(), target, endpoints,
        serializer=serializer or ContextSerializer(),
        access_policy=dispatcher.DefaultRPCAccessPolicy)


def declare_queue(topic, server):
    """Make sure the queues of ``topic``/``server`` exist.

    Starting and stopping a server declares them; messages cast before
    the real consumer starts then wait in the queue instead of being
    dropped (used before the first cast to a new guest agent).
    """
    rpc_server = get_server(topic, server, [])
    rpc_server.start()
    rpc_server.stop()
    rpc_server.wait()
