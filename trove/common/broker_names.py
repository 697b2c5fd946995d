"""Names on the broker that both RPC stacks and the broker users share.

An instance's own broker user is ``trove-guest-<instance id>``
(trove.common.broker_users); a caller's reply queue is ``reply_<hex>``;
replies of instance users go through ``<control_exchange>_replies``
(trove.common.rpc_replies explains why).
"""

INSTANCE_USER_PREFIX = 'trove-guest-'
REPLY_QUEUE_PREFIX = 'reply_'


def reply_exchange(control_exchange):
    return '%s_replies' % control_exchange


def is_instance_user(userid):
    return (userid or '').startswith(INSTANCE_USER_PREFIX)
