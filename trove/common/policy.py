"""Policy enforcement (oslo.policy) with the rules from trove.common.policies.

``authorize_on_tenant`` checks an action against the caller's own project;
``authorize_on_target`` against the project owning a resource.
"""

import threading

from oslo_policy import policy

from trove.common import exception
from trove.common import policies
from trove.conf import CONF

_lock = threading.Lock()
_enforcer = None


def get_enforcer():
    global _enforcer
    with _lock:
        if _enforcer is None:
            _enforcer = policy.Enforcer(CONF)
            _enforcer.register_defaults(policies.list_rules())
            _enforcer.load_rules()
        return _enforcer


def reset():
    global _enforcer
    with _lock:
        _enforcer = None


def _credentials(context):
    creds = context.to_policy_values()
    creds['is_admin'] = context.is_admin
    return creds


def authorize_on_target(context, rule, target):
    enforcer = get_enforcer()
    try:
        enforcer.authorize(rule, target, _credentials(context),
                           do_raise=True)
    except policy.PolicyNotAuthorized:
        raise exception.PolicyNotAuthorized(action=rule)


def authorize_on_tenant(context, rule):
    authorize_on_target(context, rule, {'tenant': context.project_id})


def check_is_admin(context):
    """Whether the caller's roles make it an administrator."""
    enforcer = get_enforcer()
    return enforcer.authorize('context_is_admin', {},
                              _credentials(context), do_raise=False)
