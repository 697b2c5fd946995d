"""The base rules every operation rule is written in terms of."""

from oslo_policy import policy

RULE_ADMIN = 'rule:admin'
RULE_ADMIN_OR_OWNER = 'rule:admin_or_owner'

rules = [
    policy.RuleDefault('context_is_admin', 'role:admin',
                       description='Who counts as an administrator.'),
    policy.RuleDefault('admin', 'role:admin or is_admin:True',
                       description='Administrator of the service.'),
    policy.RuleDefault('admin_or_owner',
                       'rule:admin or project_id:%(tenant)s',
                       description='Administrator, or the project that '
                                   'owns the resource.'),
    policy.RuleDefault('default', 'rule:admin_or_owner',
                       description='Rule of operations without one.'),
]


def list_rules():
    return rules
