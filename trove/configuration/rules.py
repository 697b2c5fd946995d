"""Parameter rules and the values tenants give them.

A rule (a ``datastore_configuration_parameters`` row) says a parameter's
type (integer, float, boolean, string), its bounds, the values it allows
(``allowed_values``: one of them, or with ``multiple`` a comma-separated
subset as MySQL's SET variables take) and whether a change needs a restart.

``validate`` turns the ``values`` of a request into the strings stored in
``configuration_parameters``, refusing with 422 (naming the parameter) an
unknown parameter, a value of the wrong type, out of range, or not
allowed. ``typed`` turns a stored string back into the JSON value shown to
users and sent to guest agents. Nothing here touches the database except
``load_rules``.
"""

import dataclasses
import json
import math
import re

from trove.common import exception
from trove.datastore import parameters

# configuration_parameters.configuration_value is a String(128).
MAX_VALUE_LENGTH = 128
# A value goes into an engine's configuration file: no line breaks or
# other control characters that could add lines of its own.
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_TRUE = ('true', 'on', 'yes', '1')
_FALSE = ('false', 'off', 'no', '0')


class ConfigurationNotSupported(exception.UnprocessableEntity):
    message = 'Configuration groups are not supported for this datastore ' \
              '(%(datastore)s has no configuration parameters).'


class UnknownParameter(exception.UnprocessableEntity):
    message = 'The configuration parameter %(name)s is not supported for ' \
              'datastore %(datastore)s.'


def _bound(text, kind):
    if text is None:
        return None
    try:
        return float(text) if kind == 'float' else int(text)
    except ValueError:
        return float(text)


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    data_type: str
    restart_required: bool = False
    min: object = None
    max: object = None
    allowed: tuple | None = None
    multiple: bool = False

    @classmethod
    def from_row(cls, row):
        allowed, multiple = parameters.decode_allowed(
            getattr(row, 'allowed_values', None))
        return cls(name=row.name, data_type=row.data_type,
                   restart_required=bool(row.restart_required),
                   min=_bound(row.min_size, row.data_type),
                   max=_bound(row.max_size, row.data_type),
                   allowed=allowed, multiple=multiple)


def load_rules(context, version_id):
    """{name: Rule} of a datastore version."""
    return {row.name: Rule.from_row(row)
            for row in parameters.list_parameters(context, version_id)}


# Validation ---------------------------------------------------------------
def _invalid(rule, reason):
    return exception.ConfigurationValueInvalid(name=rule.name, reason=reason)


def _check_bounds(rule, value):
    if rule.min is not None and value < rule.min:
        raise _invalid(rule, '%s is below the minimum %s.' % (value,
                                                             rule.min))
    if rule.max is not None and value > rule.max:
        raise _invalid(rule, '%s is above the maximum %s.' % (value,
                                                             rule.max))


def _integer(rule, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(rule, 'an integer is required, got %s.'
                       % json.dumps(value))
    _check_bounds(rule, value)
    return str(value)


def _float(rule, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise _invalid(rule, 'a number is required, got %s.'
                       % json.dumps(value))
    _check_bounds(rule, value)
    return repr(float(value))


def _boolean(rule, value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int) and value in (0, 1):
        return 'true' if value else 'false'
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return 'true' if value.strip().lower() in _TRUE else 'false'
    raise _invalid(rule, 'true or false is required, got %s.'
                   % json.dumps(value))


def _choice(rule, value):
    by_key = {a.lower(): a for a in rule.allowed}
    if not rule.multiple:
        if value.lower() not in by_key:
            raise _invalid(rule, '%r is not one of: %s.'
                           % (value, ', '.join(rule.allowed)))
        return by_key[value.lower()]
    members = [m.strip() for m in value.split(',') if m.strip()]
    unknown = [m for m in members if m.lower() not in by_key]
    if unknown:
        raise _invalid(rule, '%s not among: %s.'
                       % (', '.join(repr(m) for m in unknown),
                          ', '.join(rule.allowed)))
    return ','.join(by_key[m.lower()] for m in members)


def _string(rule, value):
    if not isinstance(value, str):
        raise _invalid(rule, 'a string is required, got %s.'
                       % json.dumps(value))
    if _CONTROL.search(value):
        raise _invalid(rule, 'control characters (line breaks...) are '
                             'not allowed.')
    if rule.allowed:
        value = _choice(rule, value)
    if len(value) > MAX_VALUE_LENGTH:
        raise _invalid(rule, 'longer than %d characters.' % MAX_VALUE_LENGTH)
    return value


_CHECKS = {'integer': _integer, 'float': _float, 'boolean': _boolean,
           'string': _string}


def check_value(rule, value):
    """The stored form of ``value``, or ConfigurationValueInvalid (422)."""
    return _CHECKS.get(rule.data_type, _string)(rule, value)


def validate(rules, values, datastore_label):
    """{name: stored string} of a request's ``values`` (422 on any error).

    ``datastore_label`` names the datastore version in messages.
    """
    if not rules:
        raise ConfigurationNotSupported(datastore=datastore_label)
    stored = {}
    for name in sorted(values):
        rule = rules.get(name)
        if rule is None:
            raise UnknownParameter(name=name, datastore=datastore_label)
        stored[name] = check_value(rule, values[name])
    return stored


# Typed values ------------------------------------------------------------
def typed(rule, stored):
    """The JSON value of a stored string (the string itself when the rule
    changed since and it no longer converts)."""
    if stored is None or rule is None:
        return stored
    try:
        if rule.data_type == 'integer':
            return int(stored)
        if rule.data_type == 'float':
            return float(stored)
    except ValueError:
        return stored
    if rule.data_type == 'boolean':
        return stored.strip().lower() in _TRUE
    return stored


def typed_values(rules, stored_values):
    return {name: typed(rules.get(name), value)
            for name, value in stored_values.items()}


def restart_required(rules, names):
    """Names among ``names`` whose rule says a change needs a restart."""
    return sorted(n for n in names
                  if rules.get(n) is not None and rules[n].restart_required)
