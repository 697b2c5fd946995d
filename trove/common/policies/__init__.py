"""Policy rules in code, with upstream Trove's names and defaults.

``list_rules`` is the ``oslo.policy.policies`` entry point that
``oslopolicy-sample-generator`` reads to write etc/trove/policy.yaml.sample.
"""

import itertools

from trove.common.policies import base
from trove.common.policies import resources


def list_rules():
    return list(itertools.chain(base.list_rules(), resources.list_rules()))
