"""Which (method, path) reaches which controller action; the rest is 404."""

import pytest
import webob
import webob.dec

from trove.api import extensions, router


@pytest.fixture(scope='module')
def api():
    return router.API()


def _target(mapper, method, path):
    """(controller class name, action) a request is routed to, or None."""
    match = mapper.match(path, environ={'REQUEST_METHOD': method})
    if match is None:
        return None
    return type(match['controller'].controller).__name__, match['action']


@pytest.mark.parametrize('method,path,controller,action', [
    ('GET', '/', 'VersionController', 'show'),
    ('GET', '/p1/datastores', 'DatastoreController', 'index'),
    ('GET', '/p1/datastores/mysql', 'DatastoreController', 'show'),
    # "versions" is not a datastore name here: the uuid route wins.
    ('GET', '/p1/datastores/versions/v1', 'DatastoreController',
     'version_show_by_uuid'),
    ('GET', '/p1/datastores/mysql/versions', 'DatastoreController',
     'version_index'),
    ('GET', '/p1/datastores/mysql/versions/5.7', 'DatastoreController',
     'version_show'),
    ('GET', '/p1/datastores/versions/v1/parameters', 'ParametersController',
     'index_by_version'),
    ('GET', '/p1/datastores/versions/v1/parameters/autocommit',
     'ParametersController', 'show_by_version'),
    ('GET', '/p1/datastores/mysql/versions/5.7/parameters',
     'ParametersController', 'index'),
    ('GET', '/p1/datastores/mysql/versions/5.7/parameters/autocommit',
     'ParametersController', 'show'),
    ('GET', '/p1/flavors', 'FlavorController', 'index'),
    ('GET', '/p1/flavors/7', 'FlavorController', 'show'),
    ('GET', '/p1/limits', 'LimitsController', 'index'),
    ('GET', '/p1/instances', 'InstanceController', 'index'),
    ('GET', '/p1/instances/detail', 'InstanceController', 'detail'),
    ('POST', '/p1/instances', 'InstanceController', 'create'),
    ('GET', '/p1/instances/i1', 'InstanceController', 'show'),
    ('PUT', '/p1/instances/i1', 'InstanceController', 'update'),
    ('PATCH', '/p1/instances/i1', 'InstanceController', 'edit'),
    ('DELETE', '/p1/instances/i1', 'InstanceController', 'delete'),
    ('POST', '/p1/instances/i1/action', 'InstanceController', 'action'),
])
def test_core_routes(api, method, path, controller, action):
    assert _target(api.map, method, path) == (controller, action)


@pytest.mark.parametrize('method,path', [
    ('GET', '/p1/nothing'),
    ('POST', '/p1/datastores'),
    ('PUT', '/p1/datastores/mysql'),
    ('DELETE', '/p1/flavors/7'),
    ('POST', '/p1/limits'),
    ('GET', '/p1/datastores/mysql/versions/5.7/parameters/a/b'),
])
def test_unknown_routes_do_not_match(api, method, path):
    assert _target(api.map, method, path) is None


def test_an_unknown_route_answers_a_404_fault(api):
    response = webob.Request.blank('/p1/nothing').get_response(api)
    assert response.status_int == 404
    assert response.json == {'itemNotFound': {
        'code': 404, 'message': 'The resource could not be found.'}}


@webob.dec.wsgify
def _core(request):
    return webob.Response(json_body={'served_by': 'core'})


@pytest.fixture(scope='module')
def extension_router():
    return extensions.ExtensionRouter(_core)


VERSION = '/p1/mgmt/datastore-versions'
PARAMS = '/p1/mgmt/datastores/versions/v1/parameters'


@pytest.mark.parametrize('method,path,controller,action', [
    ('GET', VERSION, 'DatastoreVersionController', 'index'),
    ('POST', VERSION, 'DatastoreVersionController', 'create'),
    ('GET', VERSION + '/v1', 'DatastoreVersionController', 'show'),
    ('PATCH', VERSION + '/v1', 'DatastoreVersionController', 'edit'),
    ('DELETE', VERSION + '/v1', 'DatastoreVersionController', 'delete'),
    ('GET', PARAMS, 'ParameterController', 'index'),
    ('POST', PARAMS, 'ParameterController', 'create'),
    ('GET', PARAMS + '/max_connections', 'ParameterController', 'show'),
    ('PUT', PARAMS + '/max_connections', 'ParameterController', 'update'),
    ('DELETE', PARAMS + '/max_connections', 'ParameterController', 'delete'),
])
def test_management_routes(extension_router, method, path, controller,
                           action):
    assert _target(extension_router.map, method, path) == (controller,
                                                           action)


@pytest.mark.parametrize('method,path', [
    ('PUT', VERSION + '/v1'),
    ('GET', '/p1/datastores'),
    ('GET', '/p1/mgmt/unknown'),
])
def test_other_requests_fall_through_to_the_core(extension_router, method,
                                                 path):
    request = webob.Request.blank(path, method=method)
    assert request.get_response(extension_router).json == {
        'served_by': 'core'}
