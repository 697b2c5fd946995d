"""The API's top-level URL map, with version selection by Accept header.

Mounts are ``/`` (versions), ``/healthcheck`` and ``/v1.0``. A request
without a version in its path may ask for one with
``Accept: application/vnd.openstack.trove+json;version=1.0``; an unknown
version is answered with 406.
"""

import re

from paste import urlmap
import webob

from trove.common import faults

_ACCEPT_VERSION = re.compile(
    r'application/vnd\.openstack\.trove(\+(json|xml))?\s*;\s*version=(?P<v>[^\s,;]+)')
_PATH_VERSION = re.compile(r'^/v\d+(\.\d+)?(/|$)')


class VersionedURLMap(urlmap.URLMap):

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        accept = environ.get('HTTP_ACCEPT', '')
        match = _ACCEPT_VERSION.search(accept)
        if match and not _PATH_VERSION.match(path) and not path.startswith(
                '/healthcheck'):
            version = match.group('v')
            if not version.startswith('v'):
                version = 'v' + version
            prefix = '/' + version
            if not any(mount == prefix for (_, mount), _app in self.applications):
                request = webob.Request(environ)
                response = faults.fault_response(
                    request, 406, 'version not supported')
                return response(environ, start_response)
            environ['PATH_INFO'] = prefix + path
        return super().__call__(environ, start_response)


def versioned_urlmap(loader, global_conf, **local_conf):
    mapping = VersionedURLMap(not_found_app=None)
    for path, app_name in local_conf.items():
        path = urlmap.parse_path_expression(path)
        mapping[path] = loader.get_app(app_name, global_conf=global_conf)
    return mapping
