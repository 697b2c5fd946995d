"""The API's access log, and the request id on every line of a request.

``AccessLog`` sits right after oslo.middleware's ``request_id`` filter in
the paste pipeline (etc/trove/api-paste.ini). Before anything below it
runs, it stores a context holding the request's id for the serving
thread, so every log line of the request carries the id the client gets
back in ``x-openstack-request-id`` -- also the lines written before
``contextwrapper`` builds the full context (which then replaces it).
When the answer is ready it writes one line per request, as upstream's
eventlet server does::

    127.0.0.1 "GET /v1.0/p1/instances?limit=5 HTTP/1.1" status: 200 len: 1234 time: 0.0123456

and then forgets the context, so an idle worker thread never keeps a
finished request's id. Requests outside ``/v1.0`` (the version document,
``/healthcheck`` probes) do not pass through this pipeline and are not
logged.

It never reads or logs bodies, tokens or headers.
"""

import time
import urllib.parse

from oslo_log import log as logging
from oslo_middleware import request_id

from trove.common import context as trove_context
from trove.common import filters
from trove.common import wsgi

LOG = logging.getLogger(__name__)

# What a path may show as it is; anything else (spaces, line breaks from
# a percent-decoded path) is quoted so one request stays one line.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%?"


def _request_line(environ):
    path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
    query = environ.get('QUERY_STRING')
    if query:
        path += '?' + query
    return '%s %s %s' % (
        urllib.parse.quote(environ.get('REQUEST_METHOD', ''), safe=''),
        urllib.parse.quote(path, safe=_PATH_SAFE),
        environ.get('SERVER_PROTOCOL', 'HTTP/1.1'))


class AccessLog(filters.Filter):
    """Paste filter: request id stored for the thread; one access line."""

    def __call__(self, environ, start_response):
        started = time.monotonic()
        line = _request_line(environ)
        stored = trove_context.TroveContext(
            request_id=environ.get(request_id.ENV_REQUEST_ID),
            global_request_id=environ.get(request_id.GLOBAL_REQ_ID))
        answer = {'status': '500', 'length': '-'}

        def recording_start_response(status, headers, exc_info=None):
            answer['status'] = status.split(' ', 1)[0]
            for name, value in headers:
                if name.lower() == 'content-length':
                    answer['length'] = value
            return start_response(status, headers, exc_info)

        try:
            return self.application(environ, recording_start_response)
        finally:
            LOG.info('%s "%s" status: %s len: %s time: %.7f',
                     environ.get('REMOTE_ADDR', '-'), line,
                     answer['status'], answer['length'],
                     time.monotonic() - started,
                     context=environ.get(wsgi.CONTEXT_KEY) or stored)
            trove_context.store_current(None)
