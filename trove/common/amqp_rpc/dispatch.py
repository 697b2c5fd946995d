"""Running a request on the endpoint that serves it.

As oslo.messaging's RPC dispatcher does: an endpoint serves a request
when its ``target`` has the request's namespace and a version compatible
with the request's (same major, minor at least as high); its public
methods only (a name starting with ``_`` is never served). The context
and each argument go through the serializer on the way in, the result on
the way out.
"""

from oslo_log import log as logging

from trove.common.amqp_rpc import wire

LOG = logging.getLogger(__name__)

DEFAULT_VERSION = '1.0'


class Target:
    """What an endpoint serves (oslo.messaging's Target has the same
    two attributes, so an endpoint works with either stack)."""

    def __init__(self, version=DEFAULT_VERSION, namespace=None):
        self.version = version
        self.namespace = namespace


def _parts(version):
    return [int(part) for part in str(version).split('.')]


def is_compatible(served, requested):
    """Whether an endpoint at ``served`` can take a request of
    ``requested`` (e.g. 1.8 takes 1.0..1.8, not 1.9 or 2.0)."""
    try:
        have, want = _parts(served), _parts(requested)
    except ValueError:
        return False
    if have[0] != want[0]:
        return False
    return have[1:] + [0] * (len(want) - len(have)) >= \
        want[1:] + [0] * (len(have) - len(want))


class Dispatcher:

    def __init__(self, endpoints, serializer):
        self.endpoints = list(endpoints)
        self.serializer = serializer

    def _find(self, method, namespace, version):
        """(the bound method, None) or (None, the failure)."""
        version_mismatch = False
        for endpoint in self.endpoints:
            target = getattr(endpoint, 'target', None) or Target()
            if getattr(target, 'namespace', None) != namespace:
                continue
            if not is_compatible(getattr(target, 'version', None)
                                 or DEFAULT_VERSION, version):
                version_mismatch = True
                continue
            function = getattr(endpoint, method, None)
            if callable(function) and not method.startswith('_'):
                return function, None
        if version_mismatch:
            return None, wire.dispatcher_failure(
                'UnsupportedVersion',
                'Endpoint does not support RPC version %s. Attempted '
                'method: %s' % (version, method))
        return None, wire.dispatcher_failure(
            'NoSuchMethod', 'Endpoint does not support RPC method %s'
            % method)

    def dispatch(self, context_dict, request):
        """(result, failure) of one request; failure is None or the
        reply's failure text."""
        method = str(request.get('method') or '')
        function, failure = self._find(
            method, request.get('namespace'),
            request.get('version') or DEFAULT_VERSION)
        if function is None:
            LOG.warning('Cannot serve %s: %s', method, failure)
            return None, failure
        try:
            context = self.serializer.deserialize_context(context_dict)
            args = {name: self.serializer.deserialize_entity(context, value)
                    for name, value in (request.get('args') or {}).items()}
            result = function(context, **args)
            return self.serializer.serialize_entity(context, result), None
        except Exception as error:
            LOG.exception('Exception during message handling')
            return None, wire.failure_of(error)
