"""Trove fault bodies and the middleware that guarantees them.

A fault is ``{"<name>": {"code": <int>, "message": <text>}}`` where the name
depends only on the status code. ``FaultWrapper`` sits near the top of the
pipeline: any exception from below becomes a 500 fault with the request id,
and a plain-text error response from inner middleware (keystonemiddleware's
401, a routing 404...) is rewritten as a fault so clients always get one
format.
"""

import http.client
import json

from oslo_db import exception as db_exception
from oslo_log import log as logging
from sqlalchemy import exc as sa_exc
import webob
import webob.exc

from trove.common import exception
from trove.common import filters
from trove.common import serializers

LOG = logging.getLogger(__name__)

FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    413: 'overLimit',
    415: 'badMediaType',
    500: 'instanceFault',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}


def fault_name(code):
    """Upstream's naming: known names, else the camel-cased HTTP reason."""
    if code in FAULT_NAMES:
        return FAULT_NAMES[code]
    reason = http.client.responses.get(code, 'Error')
    words = reason.replace('-', ' ').split()
    return words[0].lower() + ''.join(w.capitalize() for w in words[1:])


def fault_body(code, message, **extra):
    details = {'code': code, 'message': message}
    details.update(extra)
    return {fault_name(code): details}


def fault_response(request, code, message, headers=None, **extra):
    content_type = serializers.content_type_for(
        request.headers.get('Accept') if request is not None else None)
    response = webob.Response(status=code, content_type=content_type,
                              charset=None)
    response.body = serializers.serialize(
        fault_body(code, message, **extra), content_type)
    for key, value in (headers or {}).items():
        response.headers[key] = str(value)
    return response


def internal_error_message(request):
    request_id = request.environ.get('openstack.request_id', '')
    return ('Internal Server Error. Please keep this ID to help us figure '
            'out what went wrong: (%s).' % request_id)


def exception_response(request, error):
    """The fault response for an exception raised while serving request."""
    if isinstance(error, exception.TroveError) and error.code < 500:
        return fault_response(request, error.code, str(error))
    if isinstance(error, exception.TroveError):
        LOG.error('Request %s failed: %s', request.path, error)
        return fault_response(request, error.code, str(error))
    if _database_unreachable(error):
        # The control database is down or restarting: the request did
        # nothing (its transaction never committed), the client may retry.
        LOG.error('Request %s %s: the control database is unreachable: %s',
                  request.method, request.path, error)
        return fault_response(
            request, 503, 'The control database is unreachable; nothing '
            'was changed. Retry in a few seconds.',
            headers={'Retry-After': 5})
    if isinstance(error, webob.exc.HTTPException):
        message = error.detail or error.explanation or error.title
        return fault_response(request, error.code, message,
                              headers=_passed_headers(error))
    LOG.exception('Unexpected error serving %s %s', request.method,
                  request.path)
    return fault_response(request, 500, internal_error_message(request))


def _database_unreachable(error):
    """The control DB went away (refused, restarting, connection cut).
    oslo.db names most of these DBConnectionError; with psycopg 3 a cut
    connection arrives as a plain DBError around SQLAlchemy's
    OperationalError."""
    if isinstance(error, db_exception.DBConnectionError):
        return True
    if isinstance(error, db_exception.DBDeadlock):
        return False
    inner = getattr(error, 'inner_exception', None) \
        if isinstance(error, db_exception.DBError) else error
    if isinstance(inner, sa_exc.DBAPIError):
        return bool(inner.connection_invalidated) or isinstance(
            inner, sa_exc.OperationalError)
    return False


def _passed_headers(error):
    keep = ('Retry-After', 'WWW-Authenticate', 'Allow')
    return {k: v for k, v in error.headers.items() if k in keep}


def _is_fault(response):
    if response.content_type not in serializers.SUPPORTED_TYPES:
        return False
    if response.body[:1] == b'<':
        return True
    # Another component's JSON error (keystonemiddleware answers
    # {"error": {...}}) is rewritten under the fault name.
    document = _json_document(response)
    return (isinstance(document, dict) and
            list(document) == [fault_name(response.status_int)])


def _json_document(response):
    try:
        return json.loads(response.body)
    except ValueError:
        return None


class FaultWrapper(filters.Filter):
    """Middleware: every error leaving the API is a Trove fault."""

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        if not _utf8_path(environ):
            # Every layer reads the path as UTF-8 (WebOb raises on it,
            # logging included): refused before any of them.
            response = fault_response(
                request, 400, 'The URL path is not valid UTF-8 once '
                'percent-decoded.')
            return response(environ, start_response)
        try:
            response = request.get_response(self.application)
        except Exception as error:  # the last line of defence
            response = exception_response(request, error)
        if response.status_int >= 400 and not _is_fault(response):
            message = _plain_message(response)
            response = fault_response(request, response.status_int, message,
                                      headers=_passed_headers(response))
        return response(environ, start_response)


def _utf8_path(environ):
    for key in ('PATH_INFO', 'SCRIPT_NAME'):
        try:
            environ.get(key, '').encode('latin-1').decode('utf-8')
        except (UnicodeEncodeError, UnicodeDecodeError):
            return False
    return True


def _plain_message(response):
    document = _json_document(response) if response.body[:1] == b'{' \
        else None
    if isinstance(document, dict) and len(document) == 1:
        [details] = document.values()
        if isinstance(details, dict) and details.get('message'):
            return str(details['message'])
    text = response.text if response.charset else response.body.decode(
        'utf-8', 'replace')
    text = ' '.join(text.split())
    if not text or text.startswith('<'):
        return response.status.split(' ', 1)[-1]
    return text[:500]
