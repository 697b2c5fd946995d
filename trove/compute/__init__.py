"""Compute providers: where instances' servers and volumes come from.

The taskmanager never calls Nova, Cinder or a process API directly; it
uses the bundle ``get_provider()`` returns for the configured
``compute_provider`` (see ``base``).
"""

import importlib
import threading

from trove.conf import CONF

# compute_provider value -> module whose provider() builds the bundle.
PROVIDERS = {'local': 'trove.compute.local',
             'openstack': 'trove.compute.openstack'}

_lock = threading.Lock()
_providers = {}


def get_provider():
    """The provider bundle of ``compute_provider`` (one per process)."""
    name = CONF.compute_provider
    with _lock:
        if name not in _providers:
            module = importlib.import_module(PROVIDERS[name])
            _providers[name] = module.provider()
        return _providers[name]


def reset():
    """Forget built bundles (tests that change the provider's options)."""
    with _lock:
        _providers.clear()
