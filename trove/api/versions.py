"""The version document served at ``/`` (no authentication)."""

import webob.dec

from trove.common import faults
from trove.common import wsgi
from trove.conf import CONF

VERSIONS = [
    {'id': 'v1.0', 'status': 'CURRENT', 'updated': '2012-08-01T00:00:00Z'},
]


def version_view(version, base_url):
    if CONF.public_endpoint:
        base_url = CONF.public_endpoint
    view = dict(version)
    view['links'] = [{'href': '%s/%s/' % (base_url.rstrip('/'), version['id']),
                      'rel': 'self'}]
    return view


class VersionsApp:

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, request):
        if request.path_info not in ('', '/'):
            return faults.fault_response(
                request, 404, 'The resource could not be found.')
        if request.method not in ('GET', 'HEAD'):
            return faults.fault_response(request, 405,
                                         'Method not allowed.')
        base_url = request.host_url + request.script_name
        body = {'versions': [version_view(v, base_url) for v in VERSIONS]}
        return wsgi.Resource._response(request, wsgi.Result(body))


def app_factory(global_config, **local_config):
    return VersionsApp()
