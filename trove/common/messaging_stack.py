"""Which messaging stack this process uses.

Every control-plane service uses oslo.messaging. The guest agent uses
trove.common.amqp_rpc, which speaks the same wire format in a fraction
of the memory (there is one agent per instance). The agent's entry point
chooses it before anything reads the configuration options, because the
two stacks register the transport options differently
(trove.conf.opts). Nothing is imported here: this module is read while
trove.conf is being imported.
"""

_agent_stack = False


def use_agent_stack():
    """Called by trove-guestagent before it imports trove.conf."""
    global _agent_stack
    _agent_stack = True


def agent_stack():
    return _agent_stack
