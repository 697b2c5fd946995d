"""RPC: transport, serialization, clients and servers.

Every service talks over one transport (``transport_url``, exchange
``control_exchange`` = trove). Messages carry the request context as a
dict; arguments are JSON-safe values. The control-plane services use
oslo.messaging (servers on its threading executor); the guest agent uses
trove.common.amqp_rpc, the same wire format without oslo.messaging's
memory (trove.common.messaging_stack chooses). oslo.messaging is
imported only by the processes that use it.
"""

import sys
import threading

from oslo_log import log as logging
from oslo_serialization import jsonutils

from trove.common import context as trove_context
from trove.common import messaging_stack
from trove.conf import CONF

LOG = logging.getLogger(__name__)

# Exceptions raised by a server in these modules are re-raised as the
# same class in the caller (GuestError, NotFound...).
ALLOWED_EXMODS = ['trove.common.exception']

_lock = threading.Lock()
_transport = None


def _agent_settings():
    from trove.common.amqp_rpc import settings
    return settings.from_conf(CONF)


def get_transport():
    global _transport
    import oslo_messaging as messaging
    from trove.common import rpc_replies
    with _lock:
        if _transport is None:
            rpc_replies.install()
            _transport = messaging.get_rpc_transport(
                CONF, allowed_remote_exmods=ALLOWED_EXMODS)
        return _transport


def cleanup():
    global _transport
    if messaging_stack.agent_stack():
        from trove.common.amqp_rpc import client
        client.close_publishers()
        return
    with _lock:
        if _transport is not None:
            _transport.cleanup()
            _transport = None


class ContextSerializer:
    """Context as a dict on the wire; entities through JSON primitives
    (the interface of oslo.messaging's Serializer, which both stacks
    call)."""

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
    topic's queue yet, as after a broker restart) raises an error that
    ``is_undeliverable`` recognises instead of vanishing."""
    serializer = serializer or ContextSerializer()
    if messaging_stack.agent_stack():
        from trove.common.amqp_rpc import client
        return client.RpcClient(_agent_settings(), topic, version_cap,
                                server=server, timeout=timeout,
                                serializer=serializer, mandatory=mandatory,
                                allowed_modules=ALLOWED_EXMODS)
    import oslo_messaging as messaging
    target = messaging.Target(topic=topic, server=server, version='1.0')
    options = (messaging.TransportOptions(at_least_once=True) if mandatory
               else None)
    return messaging.get_rpc_client(get_transport(), target,
                                    version_cap=version_cap,
                                    serializer=serializer,
                                    timeout=timeout,
                                    transport_options=options)


def get_server(topic, server, endpoints, serializer=None):
    serializer = serializer or ContextSerializer()
    if messaging_stack.agent_stack():
        from trove.common.amqp_rpc import server as amqp_server
        return amqp_server.RpcServer(_agent_settings(), topic, server,
                                     endpoints, serializer)
    import oslo_messaging as messaging
    from oslo_messaging.rpc import dispatcher
    target = messaging.Target(topic=topic, server=server)
    return messaging.get_rpc_server(
        get_transport(), target, endpoints, serializer=serializer,
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


def is_undeliverable(error):
    """Whether ``error`` says the broker had nowhere to put a message:
    no queue bound for it (a mandatory message came back), or no
    exchange (NOT_FOUND on a passive declare or a publish)."""
    from trove.common.amqp_rpc import wire
    if isinstance(error, wire.MessageUndeliverable):
        return True
    # oslo.messaging (loaded only where it is used) says it its own way.
    messaging = sys.modules.get('oslo_messaging')
    if messaging is None:
        return False
    if isinstance(error, messaging.MessageUndeliverable):
        return True
    text = str(error)
    return (isinstance(error, messaging.MessageDeliveryFailure)
            and 'NOT_FOUND' in text and 'no exchange' in text)
