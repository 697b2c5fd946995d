"""Fault bodies: names per status code, formats, and the fault wrapper."""

from xml.etree import ElementTree

import pytest
import webob
import webob.dec
import webob.exc

from trove.common import exception, faults, serializers

NS = '{%s}' % serializers.XML_NAMESPACE


@pytest.mark.parametrize('code,name', [
    (400, 'badRequest'), (401, 'unauthorized'), (403, 'forbidden'),
    (404, 'itemNotFound'), (405, 'badMethod'), (413, 'overLimit'),
    (415, 'badMediaType'), (500, 'instanceFault'), (501, 'notImplemented'),
    (503, 'serviceUnavailable'),
    # Others: the HTTP reason, camel-cased, as upstream derives them.
    (422, 'unprocessableEntity'), (409, 'conflict'), (406, 'notAcceptable'),
    (504, 'gatewayTimeout'),
])
def test_fault_name_per_code(code, name):
    assert faults.fault_name(code) == name


def test_fault_body_shape():
    assert faults.fault_body(404, 'gone') == {
        'itemNotFound': {'code': 404, 'message': 'gone'}}
    assert faults.fault_body(413, 'slow down', retryAfter='3') == {
        'overLimit': {'code': 413, 'message': 'slow down',
                      'retryAfter': '3'}}


def test_fault_response_is_json_by_default():
    request = webob.Request.blank('/')
    response = faults.fault_response(request, 422, 'not now')
    assert response.status_int == 422
    assert response.content_type == 'application/json'
    assert response.json == {'unprocessableEntity': {'code': 422,
                                                     'message': 'not now'}}


def test_fault_response_in_xml_when_asked():
    request = webob.Request.blank('/', headers={'Accept': 'application/xml'})
    response = faults.fault_response(request, 404, 'Flavor 9 <missing>')
    assert response.content_type == 'application/xml'
    root = ElementTree.fromstring(response.body)
    assert root.tag == NS + 'itemNotFound'
    assert root.attrib == {'code': '404', 'message': 'Flavor 9 <missing>'}


def test_fault_response_passes_headers():
    request = webob.Request.blank('/')
    response = faults.fault_response(request, 413, 'x',
                                     headers={'Retry-After': 7})
    assert response.headers['Retry-After'] == '7'


@pytest.mark.parametrize('error,code', [
    (exception.DatastoreNotFound(datastore='x'), 404),
    (exception.FlavorNotFound(uuid='x'), 404),
    (exception.ValidationError('Validation error: x'), 400),
    (exception.PolicyNotAuthorized(action='a'), 403),
    (exception.QuotaExceeded(overs=['instances']), 413),
    (exception.InstanceNotActionable(instance_id='i', kind='task',
                                     status='BUILD'), 422),
    (exception.GuestTimeout(instance_id='i', timeout=15), 504),
    (exception.GuestError(original_message='boom'), 500),
])
def test_exception_response_uses_the_exception_code(error, code):
    response = faults.exception_response(webob.Request.blank('/'), error)
    assert response.status_int == code
    assert response.json == {faults.fault_name(code): {
        'code': code, 'message': str(error)}}


def test_exception_response_of_a_webob_error():
    response = faults.exception_response(
        webob.Request.blank('/'), webob.exc.HTTPMethodNotAllowed())
    assert response.status_int == 405
    assert 'badMethod' in response.json


def test_unexpected_error_is_an_internal_fault_with_the_request_id():
    request = webob.Request.blank('/')
    request.environ['openstack.request_id'] = 'req-1234'
    response = faults.exception_response(request, KeyError('secret'))
    assert response.status_int == 500
    message = response.json['instanceFault']['message']
    assert message.startswith('Internal Server Error.')
    assert '(req-1234)' in message
    assert 'secret' not in message


def _wrapped(app):
    return faults.FaultWrapper.factory({})(app)


def test_fault_wrapper_turns_an_exception_into_a_500_fault():
    @webob.dec.wsgify
    def broken(request):
        raise RuntimeError('bug')

    response = webob.Request.blank('/').get_response(_wrapped(broken))
    assert response.status_int == 500
    assert 'instanceFault' in response.json


def test_fault_wrapper_rewrites_plain_text_errors():
    @webob.dec.wsgify
    def plain(request):
        return webob.Response('Authentication required', status=401,
                              content_type='text/plain',
                              headers={'WWW-Authenticate': 'Keystone'})

    response = webob.Request.blank('/').get_response(_wrapped(plain))
    assert response.status_int == 401
    assert response.json == {'unauthorized': {
        'code': 401, 'message': 'Authentication required'}}
    assert response.headers['WWW-Authenticate'] == 'Keystone'


def test_fault_wrapper_leaves_faults_and_successes_alone():
    @webob.dec.wsgify
    def fine(request):
        if request.path == '/missing':
            return faults.fault_response(request, 404, 'no')
        return webob.Response(json_body={'ok': True})

    app = _wrapped(fine)
    assert webob.Request.blank('/').get_response(app).json == {'ok': True}
    missing = webob.Request.blank('/missing').get_response(app)
    assert missing.json == {'itemNotFound': {'code': 404, 'message': 'no'}}
