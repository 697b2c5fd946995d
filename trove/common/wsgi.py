"""WSGI plumbing of the API: routing, dispatch to controllers, responses.

A ``Router`` maps URLs to ``Resource`` objects with Routes. A ``Resource``
wraps one controller: it parses the JSON body, validates it against the
controller's JSON Schema for the action, calls the controller method and
serializes what it returns. Controllers only deal with domain objects and
views; they never touch SQL, RPC plumbing or HTTP encoding.
"""

import inspect

import jsonschema
from oslo_log import log as logging
import routes
import routes.middleware
import webob
import webob.exc

from trove.common import exception
from trove.common import filters
from trove.common import faults
from trove.common import request_body
from trove.common import serializers

LOG = logging.getLogger(__name__)

CONTEXT_KEY = 'trove.context'


class Request(webob.Request):
    """A request that knows its response type and its Trove context."""

    @property
    def response_content_type(self):
        return serializers.content_type_for(self.headers.get('Accept'))

    @property
    def context(self):
        return self.environ.get(CONTEXT_KEY)

    @property
    def url_version(self):
        """'v1.0' for requests under the versioned mount."""
        return self.environ.get('trove.url_version', 'v1.0')


class Middleware(filters.Filter):
    """Base of the API's paste filters, as plain WSGI callables.

    ``process(request)`` returns None to pass the request on, or a
    response (any WSGI application) to answer with instead. Plain WSGI
    rather than webob's ``wsgify``, which builds a Request and a Response
    per layer: for the dozen layers of the pipeline that cost more than
    the rows of a list page.
    """

    def __call__(self, environ, start_response):
        response = self.process(Request(environ))
        if response is None:
            response = self.application
        return response(environ, start_response)

    def process(self, request):
        raise NotImplementedError


class Result:
    """What a controller returns: a body (or None) and a status code."""

    def __init__(self, data, status=200, headers=None):
        self.data = data
        self.status = status
        self.headers = headers or {}


def _schema_validator(schema):
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def validation_message(errors):
    parts = []
    for error in sorted(errors, key=lambda e: list(e.absolute_path)):
        path = '.'.join(str(p) for p in error.absolute_path)
        parts.append(('%s %s' % (path, error.message)).strip())
    return 'Validation error: ' + '; '.join(parts)


class Controller:
    """Base of API controllers.

    ``schemas`` maps an action name to the JSON Schema its body must meet;
    ``get_schema`` may pick one by looking at the body (instance actions).
    """

    schemas = {}

    def get_schema(self, action, body):
        return self.schemas.get(action)


class Resource:
    """The WSGI application of one controller."""

    def __init__(self, controller):
        self.controller = controller
        self._validators = {}
        self._signatures = {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self._answer(request)(environ, start_response)

    def _answer(self, request):
        args = dict(request.environ['wsgiorg.routing_args'][1])
        action = args.pop('action', None)
        args.pop('controller', None)
        args.pop('format', None)
        try:
            method = self._method(action)
            body = self._body(request)
            if body is not None or self._accepts_body(action):
                self._validate(action, body)
            if self._accepts_body(action):
                args['body'] = body
            result = method(request, **args)
        except Exception as error:
            return faults.exception_response(request, error)
        return self._response(request, result)

    def _method(self, action):
        method = getattr(self.controller, action or '', None)
        if action is None or action.startswith('_') or method is None:
            raise webob.exc.HTTPNotFound()
        return method

    def _accepts_body(self, action):
        if action not in self._signatures:
            params = inspect.signature(getattr(self.controller, action))
            self._signatures[action] = 'body' in params.parameters
        return self._signatures[action]

    @staticmethod
    def _body(request):
        raw = request.body
        if not raw:
            return None
        return request_body.decode(raw)

    def _validate(self, action, body):
        schema = self.controller.get_schema(action, body)
        if schema is None:
            return
        key = id(schema)
        if key not in self._validators:
            self._validators[key] = _schema_validator(schema)
        errors = list(self._validators[key].iter_errors(body))
        if errors:
            raise exception.ValidationError(
                validation_message(errors))

    @staticmethod
    def _response(request, result):
        if not isinstance(result, Result):
            result = Result(result)
        content_type = request.response_content_type
        response = webob.Response(status=result.status,
                                  content_type=content_type, charset=None)
        if result.data is not None:
            response.body = serializers.serialize(result.data, content_type)
        for key, value in result.headers.items():
            response.headers[key] = value
        return response


class Router:
    """Routes URL mapping in front of the controllers' resources."""

    def __init__(self, mapper=None):
        self.map = mapper or routes.Mapper()
        # singleton=False: match straight into the environ instead of
        # through Routes' thread-local URL-generation config, which
        # nothing here reads and which costs a second parse per request.
        self._router = routes.middleware.RoutesMiddleware(
            self._dispatch, self.map, singleton=False)

    def connect(self, path, resource, action, methods, **requirements):
        kwargs = {'requirements': requirements} if requirements else {}
        self.map.connect(path, controller=resource, action=action,
                         conditions={'method': methods}, **kwargs)

    def __call__(self, environ, start_response):
        return self._router(environ, start_response)

    @staticmethod
    def _dispatch(environ, start_response):
        match = environ['wsgiorg.routing_args'][1]
        if not match:
            return faults.fault_response(
                Request(environ), 404, 'The resource could not be found.'
            )(environ, start_response)
        return match['controller'](environ, start_response)
