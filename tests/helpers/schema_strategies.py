"""Hypothesis strategies built from the API's JSON Schemas (Draft 4).

hypothesis-jsonschema is not on this machine's package mirror, so this
covers the keywords trove.common.schemas uses: type, properties,
required, additionalProperties, items, minItems/maxItems, uniqueItems,
enum, minLength/maxLength, pattern, minimum/maximum, oneOf/anyOf,
minProperties. ``valid(schema)`` draws bodies the schema (mostly)
accepts, so requests get past validation into the controllers;
``hostile(schema)`` draws those bodies mutated: a required key dropped, a
value replaced by any JSON value, an extra key, wrong types.
"""

import string

from hypothesis import strategies as st

# Any JSON value, small: what a hostile client puts where it likes.
_SCALARS = (st.none() | st.booleans()
            | st.integers(min_value=-2 ** 70, max_value=2 ** 70)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=40))
ANY_JSON = st.recursive(
    _SCALARS,
    lambda children: (st.lists(children, max_size=4)
                      | st.dictionaries(st.text(max_size=12), children,
                                        max_size=4)),
    max_leaves=12)

# Names that look like keys of the API (more likely to hit code paths).
_KEYS = st.sampled_from(['name', 'id', 'size', 'flavorRef', 'volume',
                         'type', 'version', 'values', 'instance', 'backup',
                         'configuration', 'users', 'databases', 'host',
                         'password', 'datastore', 'quotas', 'min', 'max'])


def _string(schema):
    pattern = schema.get('pattern')
    low = schema.get('minLength', 0)
    high = schema.get('maxLength')
    if pattern:
        drawn = st.from_regex(pattern, fullmatch=True)
        return drawn.filter(lambda s: len(s) >= low
                            and (high is None or len(s) <= high))
    alphabet = st.characters(blacklist_categories=('Cs',))
    return (st.text(alphabet, min_size=low,
                    max_size=min(high or 40, 80))
            | st.text(string.ascii_letters + string.digits, min_size=max(
                low, 1), max_size=min(high or 40, 40)))


def _number(schema, integer):
    low = schema.get('minimum')
    high = schema.get('maximum')
    if integer:
        return st.integers(min_value=low, max_value=high)
    return st.floats(min_value=low, max_value=high, allow_nan=False,
                     allow_infinity=False)


def _object(schema, mutate):
    properties = schema.get('properties', {})
    required = [k for k in schema.get('required', []) if k in properties]
    optional = [k for k in properties if k not in required]
    fixed = {k: valid_or_hostile(properties[k], mutate) for k in required}
    opt = {k: valid_or_hostile(properties[k], mutate) for k in optional}
    drawn = st.fixed_dictionaries(fixed, optional=opt)
    for key in schema.get('required', []):
        if key not in properties:
            drawn = drawn.map(lambda d, key=key: dict(d, **{key: {}}))
    return drawn


def _array(schema, mutate):
    items = schema.get('items', {})
    element = valid_or_hostile(items, mutate) if items else ANY_JSON
    return st.lists(element, min_size=schema.get('minItems', 0),
                    max_size=min(schema.get('maxItems', 3), 3),
                    unique_by=((lambda v: repr(v))
                               if schema.get('uniqueItems') else None))


def valid_or_hostile(schema, mutate=False):
    drawn = _valid(schema, mutate)
    if mutate:
        return st.one_of(drawn, drawn, drawn, ANY_JSON)
    return drawn


def _valid(schema, mutate):
    if 'enum' in schema:
        return st.sampled_from(schema['enum'])
    for keyword in ('oneOf', 'anyOf'):
        if keyword in schema:
            return st.one_of([valid_or_hostile(s, mutate)
                              for s in schema[keyword]])
    kind = schema.get('type')
    if isinstance(kind, list):
        return st.one_of([_valid(dict(schema, type=k), mutate)
                          for k in kind])
    if kind == 'object':
        return _object(schema, mutate)
    if kind == 'array':
        return _array(schema, mutate)
    if kind == 'string':
        return _string(schema)
    if kind == 'integer':
        return _number(schema, True)
    if kind == 'number':
        return _number(schema, False)
    if kind == 'boolean':
        return st.booleans()
    if kind == 'null':
        return st.none()
    return ANY_JSON


def valid(schema):
    return _valid(schema, False)


def _mutations(body):
    """Ways to spoil one drawn object body."""
    return st.one_of(
        st.just(body),
        st.builds(lambda k, v: dict(body, **{k: v}), _KEYS | st.text(
            max_size=8), ANY_JSON),
        st.just({k: v for k, v in list(body.items())[1:]}),
        ANY_JSON,
    )


def hostile(schema):
    """Bodies built from the schema with values swapped for any JSON and
    keys dropped or added."""
    return _valid(schema, True).flatmap(
        lambda body: _mutations(body) if isinstance(body, dict)
        else st.just(body))
