"""Key sets of JSON documents, for comparing responses with upstream's
api-ref samples: dict keys at every level, lists by their first element.
"""

import json


def key_paths(document, prefix=''):
    """Every key path of ``document``, e.g. ``datastores[].links[].href``."""
    paths = set()
    if isinstance(document, dict):
        for key, value in document.items():
            path = prefix + ('.' if prefix else '') + key
            paths.add(path)
            paths |= key_paths(value, path)
    elif isinstance(document, list) and document:
        paths |= key_paths(document[0], prefix + '[]')
    return paths


def load_sample(samples_dir, name):
    with open(samples_dir / name) as sample:
        return json.load(sample)


def assert_same_keys(ours, sample, only_ours=(), only_sample=()):
    """Same key paths, except the ones listed (each a deliberate
    difference documented in doc/compatibility.md)."""
    mine, theirs = key_paths(ours), key_paths(sample)
    assert mine - theirs == set(only_ours), 'keys upstream lacks'
    assert theirs - mine == set(only_sample), 'keys we lack'
