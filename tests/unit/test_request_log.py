"""The access line of the API and the request id stored while a request
is served (trove.common.request_log)."""

import logging

import webob

from trove.common import context
from trove.common import request_log


def _app(seen):
    def app(environ, start_response):
        seen.append(context.current().request_id)
        start_response('201 Created', [('Content-Type', 'text/plain'),
                                       ('Content-Length', '2')])
        return [b'ok']
    return app


def test_one_access_line_with_the_request_id_and_status(caplog):
    seen = []
    filtered = request_log.AccessLog.factory({})(_app(seen))
    request = webob.Request.blank('/p1/x%0Ay?limit=1', method='POST',
                                  environ={'SCRIPT_NAME': '/v1.0'})
    request.environ['openstack.request_id'] = 'req-one'
    with caplog.at_level(logging.INFO, logger=request_log.__name__):
        response = request.get_response(filtered)
    assert response.status_int == 201
    assert seen == ['req-one']
    [record] = caplog.records
    # A decoded line break in the path stays quoted: one request, one line.
    assert '"POST /v1.0/p1/x%0Ay?limit=1 HTTP/1.0" status: 201 len: 2 ' \
        'time: ' in record.getMessage()
    assert record.context.request_id == 'req-one'
    # The serving thread keeps no finished request's id.
    assert context.current() is None


def test_a_failing_application_still_gets_its_line(caplog):
    def broken(environ, start_response):
        raise RuntimeError('boom')
    filtered = request_log.AccessLog.factory({})(broken)
    request = webob.Request.blank('/p1/x')
    request.environ['openstack.request_id'] = 'req-two'
    with caplog.at_level(logging.INFO, logger=request_log.__name__):
        try:
            request.get_response(filtered)
        except RuntimeError:
            pass
    [record] = caplog.records
    assert 'status: 500' in record.getMessage()
    assert context.current() is None
