"""Extension routes (databases/users/root, management) ahead of the core.

Requests matching an extension route are served here; the rest fall
through to the core application (``troveapp``).
"""

from trove.common import wsgi


class ExtensionRouter(wsgi.Router):
    """Routes of the extensions; unmatched requests go to ``fallback``."""

    def __init__(self, fallback):
        super().__init__()
        self.fallback = fallback
        for add_routes in _extension_route_adders():
            add_routes(self)

    def __call__(self, environ, start_response):
        if not self.map.routematch(environ=environ):
            return self.fallback(environ, start_response)
        return self._router(environ, start_response)


def _extension_route_adders():
    """Each extension module's ``add_routes(router)``."""
    adders = []
    for module_name in EXTENSIONS:
        module = __import__(module_name, fromlist=['add_routes'])
        adders.append(module.add_routes)
    return adders


# Modules whose add_routes(router) map extension URLs.
EXTENSIONS = [
    'trove.extensions.common.routes',
    'trove.extensions.mgmt.routes',
]


def factory(global_config, **local_config):
    def _factory(application):
        return ExtensionRouter(application)
    return _factory
