"""What the API accepts as a JSON request body, and how it refuses the rest.

* ``BodySizeLimit`` (a paste filter below ``faultwrapper``): a body larger
  than ``[oslo_middleware] max_request_body_size`` answers 413
  ``overLimit`` before any of it is parsed -- at once when its
  Content-Length says so, else (a chunked body) as soon as more than the
  limit has been read.
* ``decode``: the body as JSON, or 400 ``badRequest`` (never a 500) for
  a body that is not UTF-8, not JSON, nested deeper than ``MAX_DEPTH``,
  holds a key twice, a number out of range (NaN, Infinity, an integer
  beyond 64 bits, a float that overflows) or a string no engine can
  store (an unpaired surrogate such as ``"\\ud800"``), or whose top level
  is not an object.

Upstream's decoder takes the last of duplicate keys and lets Python's
recursion limit decide the depth (a 500); doc/compatibility.md lists the
differences. This module never looks at what the keys mean: the JSON
Schemas of trove.common.schemas do that.
"""

import json
import math

from oslo_middleware import sizelimit
import webob

from trove.common import exception
from trove.common import filters
from trove.common import faults
from trove.conf import CONF

# The deepest body of the API (a cluster's instances' nics, a user's
# databases) is 6 levels; anything far deeper is not a request.
MAX_DEPTH = 32
# Integers up to the largest unsigned 64-bit value (MariaDB parameters
# such as max_binlog_cache_size default to it), at most 20 digits.
MAX_INTEGER = 2 ** 64 - 1
_MAX_INTEGER_DIGITS = len(str(MAX_INTEGER))
_MAX_NUMBER_TEXT = 64

# oslo.middleware's own option (in the sample through its namespace);
# registered here because its filter is not the one in the pipeline.
CONF.register_opts(sizelimit.OPTS, group='oslo_middleware')


def max_body_size():
    return CONF.oslo_middleware.max_request_body_size


# Size -----------------------------------------------------------------------
class BodyTooLarge(exception.OverLimit):
    message = ('The request body is larger than the %(limit)d bytes this '
               'API accepts.')


class _LimitedInput:
    """wsgi.input that refuses to deliver more than ``limit`` bytes."""

    def __init__(self, stream, limit):
        self.stream = stream
        self.limit = limit
        self.read_so_far = 0

    def _count(self, data):
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise BodyTooLarge(limit=self.limit)
        return data

    def read(self, size=-1):
        if size is None or size < 0:
            # One byte more than allowed is enough to know.
            size = self.limit + 1 - self.read_so_far
        return self._count(self.stream.read(max(size, 0)))

    def readline(self, size=-1):
        return self._count(self.stream.readline(size))

    def __iter__(self):
        while True:
            chunk = self.read(65536)
            if not chunk:
                return
            yield chunk


class BodySizeLimit(filters.Filter):
    """413 ``overLimit`` for a body larger than max_request_body_size."""

    def __call__(self, environ, start_response):
        limit = max_body_size()
        request = webob.Request(environ)
        length = request.content_length
        if length is not None and length > limit:
            response = faults.fault_response(
                request, 413, str(BodyTooLarge(limit=limit)))
            return response(environ, start_response)
        if length is None and 'wsgi.input' in environ:
            environ['wsgi.input'] = _LimitedInput(environ['wsgi.input'],
                                                  limit)
        return self.application(environ, start_response)


# Decoding ------------------------------------------------------------------
def _refuse(reason):
    raise exception.MalformedRequestBody(reason=reason)


def _integer(text):
    if len(text.lstrip('-')) > _MAX_INTEGER_DIGITS or \
            abs(int(text)) > MAX_INTEGER:
        _refuse('the number %s is out of range.' % text[:24])
    return int(text)


def _float(text):
    value = float(text) if len(text) <= _MAX_NUMBER_TEXT else math.inf
    if not math.isfinite(value):
        _refuse('the number %s is out of range.' % text[:24])
    return value


def _constant(name):
    _refuse('%s is not a JSON number.' % name)


def _object(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for key, _value in pairs:
            if key in seen:
                _refuse('the key "%s" appears more than once in an object.'
                        % key[:64])
            seen.add(key)
    return result


def _check_strings_and_depth(document):
    """Walk the decoded document without recursion."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            _refuse('it is nested more than %d levels deep.' % MAX_DEPTH)
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(key)
                pending.append((item, depth + 1))
        else:
            pending.extend((item, depth + 1) for item in value)


def _check_text(text):
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        _refuse('a string holds an unpaired surrogate (\\ud800-\\udfff).')


def decode(raw, require_object=True):
    """The JSON document of ``raw`` (bytes): see the module docstring."""
    try:
        # A leading byte order mark is allowed (RFC 8259 §8.1), as
        # Python's decoder of bytes allows it.
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as error:
        _refuse('the body is not UTF-8 (%s).' % error.reason)
    try:
        document = json.loads(text, parse_int=_integer, parse_float=_float,
                              parse_constant=_constant,
                              object_pairs_hook=_object)
    except RecursionError:
        _refuse('it is nested more than %d levels deep.' % MAX_DEPTH)
    except ValueError as error:
        _refuse(str(error))
    _check_strings_and_depth(document)
    if require_object and not isinstance(document, dict):
        _refuse('the body must be a JSON object.')
    return document
