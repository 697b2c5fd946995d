"""The guest agent's own RPC over RabbitMQ, in oslo.messaging's wire format.

There is one agent per instance, and oslo.messaging (with kombu,
oslo.service and eventlet, which it loads whenever they are installed)
is about a third of an agent's memory (issue 26: an agent under 40 MB).
The agent needs little of it: one RPC server on its own topic, casts and
one call to the conductor, over one RabbitMQ. This package does just
that on py-amqp, the AMQP library kombu itself uses, and speaks exactly
what oslo.messaging's RabbitMQ driver speaks (queues, exchanges, the
``oslo.version`` 2.0 envelope, ``_context_*`` keys, replies and remote
failures), so the control plane, which keeps oslo.messaging, cannot
tell the difference.

* ``wire``: messages, contexts and failures as they travel.
* ``settings``: where and how to connect (``transport_url``,
  ``control_exchange`` and the [oslo_messaging_rabbit] options the agent
  honours, trove.conf.agent_transport).
* ``link``: one connection that comes back after the broker does.
* ``publisher``: publishing with broker confirms; unroutable mandatory
  messages raise.
* ``dispatch``: finding and running an endpoint's method.
* ``server`` and ``client``: the RPC server and client.
"""
