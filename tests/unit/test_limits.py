"""Rate limits per project: leaky buckets, 413 with Retry-After."""

import webob
import webob.dec

from trove.common import context, limits, wsgi


@webob.dec.wsgify
def _ok(request):
    rates = request.environ.get('trove.limits', [])
    return webob.Response(json_body={'remaining': [r.remaining
                                                   for r in rates]})


def _middleware(*rates):
    # A private in-memory store: nothing shared with other tests or hosts.
    return limits.RateLimitingMiddleware(
        _ok, store=limits.MemoryRateStore(), limits=list(rates))


def _get(app, path='/p1/instances', method='GET', project='p1'):
    request = webob.Request.blank(path, method=method)
    request.environ[wsgi.CONTEXT_KEY] = context.TroveContext(
        project_id=project, overwrite=False)
    return request.get_response(app)


def test_defaults_are_upstream_limits():
    shown = [(lim.verb, lim.uri, lim.regex, lim.value, lim.unit)
             for lim in limits.default_limits()]
    assert shown == [('POST', '*', '.*', 200, 'MINUTE'),
                     ('PUT', '*', '.*', 200, 'MINUTE'),
                     ('DELETE', '*', '.*', 200, 'MINUTE'),
                     ('GET', '*', '.*', 200, 'MINUTE'),
                     ('POST', '*/mgmt', '^/mgmt', 200, 'MINUTE')]


def test_mgmt_regex_matches_the_path_under_the_project():
    mgmt = limits.default_limits()[-1]
    assert mgmt.matches('POST', '/mgmt/datastore-versions')
    assert not mgmt.matches('POST', '/instances')


def test_requests_over_the_rate_get_413_with_retry_after():
    app = _middleware(limits.Limit('GET', '*', '.*', 2, 'MINUTE'))
    assert _get(app).json == {'remaining': [1]}
    assert _get(app).json == {'remaining': [0]}
    refused = _get(app)
    assert refused.status_int == 413
    fault = refused.json['overLimit']
    assert fault['code'] == 413
    assert fault['message'] == 'This request was rate-limited.'
    assert fault['details'] == ('Only 2 GET request(s) can be made to * '
                                'every minute.')
    assert 0 < int(refused.headers['Retry-After']) <= 30
    assert fault['retryAfter'] == refused.headers['Retry-After']


def test_buckets_are_per_project_and_per_verb():
    app = _middleware(limits.Limit('GET', '*', '.*', 1, 'MINUTE'),
                      limits.Limit('POST', '*', '.*', 1, 'MINUTE'))
    assert _get(app).status_int == 200
    assert _get(app).status_int == 413
    assert _get(app, project='p2', path='/p2/instances').status_int == 200
    assert _get(app, method='POST').status_int == 200


def test_limit_view_keys():
    view = limits.Limit('GET', '*', '.*', 200, 'MINUTE').to_view()
    assert set(view) == {'verb', 'uri', 'regex', 'value', 'remaining',
                         'unit', 'nextAvailable'}
    assert view['nextAvailable'].endswith('Z')
