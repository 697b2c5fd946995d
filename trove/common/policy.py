"""Policy enforcement (oslo.policy) with the rules from trove.common.policies.

``authorize_on_tenant`` checks an action against the caller's own project;
``authorize_on_target`` against the project owning a resource.

Decisions are remembered per (rule, target, credentials): evaluating a
rule (oslo.policy inspects each check's signature and stats the policy
file on every call) costs more than a page of rows. The policy file is
looked at again at most once per ``_RECHECK_SECONDS``, and any change to
the rules forgets every decision, so an edited policy file still takes
effect within a second.
"""

import json
import threading
import time

from oslo_policy import policy

from trove.common import exception
from trove.common import policies
from trove.conf import CONF

_lock = threading.Lock()
_enforcer = None

_RECHECK_SECONDS = 1.0
_MAX_DECISIONS = 10000
_decisions = {}
_rules_checked = {'at': 0.0, 'fingerprint': None}


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
        _decisions.clear()
        _rules_checked.update(at=0.0, fingerprint=None)


def _forget_decisions_if_rules_changed(enforcer):
    now = time.monotonic()
    if now - _rules_checked['at'] < _RECHECK_SECONDS:
        return
    with _lock:
        _rules_checked['at'] = now
        enforcer.load_rules()   # rereads the policy file if it changed
        fingerprint = hash(tuple(sorted(
            (name, str(check)) for name, check in enforcer.rules.items())))
        if fingerprint != _rules_checked['fingerprint']:
            _decisions.clear()
            _rules_checked['fingerprint'] = fingerprint


def _allowed(rule, target, creds):
    enforcer = get_enforcer()
    _forget_decisions_if_rules_changed(enforcer)
    key = (rule, json.dumps(target, sort_keys=True, default=str),
           json.dumps(creds, sort_keys=True, default=str))
    allowed = _decisions.get(key)
    if allowed is None:
        allowed = bool(enforcer.authorize(rule, target, creds,
                                          do_raise=False))
        if len(_decisions) >= _MAX_DECISIONS:
            _decisions.clear()
        _decisions[key] = allowed
    return allowed


def _credentials(context):
    creds = context.to_policy_values()
    creds['is_admin'] = context.is_admin
    return creds


def authorize_on_target(context, rule, target):
    if not _allowed(rule, target, _credentials(context)):
        raise exception.PolicyNotAuthorized(action=rule)


def authorize_on_tenant(context, rule):
    authorize_on_target(context, rule, {'tenant': context.project_id})


def check_is_admin(context):
    """Whether the caller's roles make it an administrator."""
    return _allowed('context_is_admin', {}, _credentials(context))


def require_admin(context):
    """Refuse a caller without the admin role (403 forbidden): the check
    every management action starts with.

    Upstream answers 401 here; see doc/compatibility.md.
    """
    if context is None or not context.is_admin:
        raise exception.Forbidden()
