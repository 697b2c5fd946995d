"""Features this service lacks answer 501 ``notImplemented`` with a
sentence, not 404; a create naming another region is one of them."""

import pytest

from tests.functional.api.test_instances import taskmanager  # noqa: F401
from tests.functional.responses import fault, ok
from trove.api import not_implemented

pytestmark = pytest.mark.functional

BASE = '/v1.0/p1'


def _path(template):
    return BASE + template.format(
        id='i1', module_id='m1', volume_type_id='v1', datastore='mysql',
        version_id='8.0')


@pytest.mark.parametrize('method,template,feature', not_implemented.ROUTES)
def test_missing_features_answer_501(api, method, template, feature):
    body = {} if method in ('POST', 'PUT') else None
    response = api.admin(method, _path(template), body)
    name, message = fault(response, 501)
    assert name == 'notImplemented'
    assert feature.lower() in message.lower()
    assert 'not implemented' in message


def test_an_unknown_path_is_still_404(api):
    name, _ = fault(api.get(BASE + '/instances/i1/nothing'), 404)
    assert name == 'itemNotFound'


def test_create_in_another_region_is_501(taskmanager, api):  # noqa: F811
    body = {'instance': {'name': 'x', 'flavorRef': '1',
                         'volume': {'size': 1}, 'region_name': 'Elsewhere',
                         'datastore': {'type': 'mysql'}}}
    name, message = fault(api.request('POST', BASE + '/instances', body), 501)
    assert name == 'notImplemented'
    assert 'region Elsewhere' in message
    assert ok(api.get(BASE + '/instances'))['instances'] == []
