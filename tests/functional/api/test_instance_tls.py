"""``/instances/{id}/ssl`` in process (doc/tls.md): what GET shows, the
400s of bad input in Trove's fault format, and what POST records and
casts (the mode on the row, the restart work for the taskmanager)."""

import pytest

from tests.functional.api import shapes
from tests.functional.api.test_instances import BASE, add_instance
from tests.functional.responses import fault, ok
from trove.common import certificates
from trove.common import context as trove_context
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import instance_tls
from trove.records import work_claims as claims

pytestmark = pytest.mark.functional


@pytest.fixture
def sample(api_samples_dir):
    return lambda name: shapes.load_sample(api_samples_dir, name)


@pytest.fixture
def authority(tmp_path):
    cert, key = tmp_path / 'ca.crt', tmp_path / 'ca.key'
    certificates.ensure_authority_files(str(cert), str(key), 'test CA')
    CONF.set_override('instance_tls_ca_cert', str(cert))
    CONF.set_override('instance_tls_ca_key', str(key))
    try:
        yield cert.read_text()
    finally:
        CONF.clear_override('instance_tls_ca_cert')
        CONF.clear_override('instance_tls_ca_key')


def _url(instance_id):
    return '%s/instances/%s/ssl' % (BASE, instance_id)


def test_show_off_with_the_authority(api, ids, authority):
    instance_id = add_instance(ids)
    shown = ok(api.get(_url(instance_id)))['ssl']
    assert shown == {'status': 'off', 'mode': None, 'certificate': None,
                     'ca_certificate': authority}


@pytest.mark.parametrize('body,says', [
    ({'ssl': {'enable': True, 'mode': 'paranoid'}}, 'paranoid'),
    ({'ssl': {'enable': True, 'disable': True}}, 'Exactly one'),
    ({'ssl': {}}, 'Exactly one'),
    ({'ssl': {'disable': True, 'mode': 'basic'}}, 'only given with'),
    ({'ssl': {'enable': True, 'container_ref': 'x'}}, 'container_ref'),
    ({'ssl': {'rollback': True}}, 'rollback'),
    ({'ssl': {'enable': True, 'mode': 'MTLS'}}, 'MTLS'),
    ({'ssl': {'client_certificate': {'user': 'alice'}}}, 'mtls mode'),
    ({'ssl': {'enable': 'yes'}}, 'enable'),
    ({'tls': {'enable': True}}, 'ssl'),
])
def test_bad_requests_are_400_faults(api, ids, authority, body, says):
    instance_id = add_instance(ids)
    name, message = fault(api.request('POST', _url(instance_id), body), 400)
    assert name == 'badRequest'
    assert says in message
    state = instance_tls.get(trove_context.get_admin_context(), instance_id)
    assert state.mode is None


def test_enable_without_an_authority_is_400(api, ids):
    instance_id = add_instance(ids)
    name, message = fault(api.request('POST', _url(instance_id), {
        'ssl': {'enable': True, 'mode': 'enforced'}}), 400)
    assert 'certificate authority' in message


def test_enable_records_the_mode_and_restarts(api, ids, authority,
                                              sample):
    instance_id = add_instance(ids)
    answer = ok(api.request('POST', _url(instance_id), {
        'ssl': {'enable': True, 'mode': 'enforced'}}), 202)
    shapes.assert_same_keys(
        answer, sample('instance-ssl-action-response.json'),
        only_ours=['ssl.ca_certificate', 'ssl.certificate',
                   'ssl.pending_mode'])
    answer = answer['ssl']
    assert answer['status'] == 'off'
    assert answer['pending_mode'] == 'enforced'
    context = trove_context.get_admin_context()
    # The restart work takes it to the engine (its first step).
    assert claims.current(context, instance_id).flow == 'restart'
    assert ok(api.get(BASE + '/instances/' + instance_id))['instance'][
        'status'] == 'REBOOT'
    assert instance_tls.get(context, instance_id).mode == 'enforced'
    shown = ok(api.get(BASE + '/instances/' + instance_id + '/ssl'))
    assert shown['ssl']['pending_mode'] == 'enforced'

    # The taskmanager applied it: GET shows it and the certificate.
    authority_obj = certificates.load_authority()
    issued = authority_obj.issue_server(instance_id, ['10.1.0.62'])
    instance_tls.record_applied(context, instance_id, 'enforced',
                                dict(issued.describe(),
                                     certificate=issued.certificate))
    shown = ok(api.get(_url(instance_id) + '?include_certificate=true'))
    # Upstream's keys, and the authority, serial and PEM besides.
    shapes.assert_same_keys(
        shown, sample('instance-ssl-show-response.json'),
        only_ours=['ssl.ca_certificate', 'ssl.certificate.serial',
                   'ssl.certificate.payload'])
    assert shown['ssl']['status'] == 'on'
    assert shown['ssl']['mode'] == 'enforced'
    assert 'pending_mode' not in shown['ssl']
    assert shown['ssl']['certificate']['san'] == ['10.1.0.62']
    assert shown['ssl']['certificate']['payload'] == issued.certificate


def test_another_project_cannot_see_it(api, ids, authority):
    instance_id = add_instance(ids, project='other-project')
    name, _ = fault(api.get(_url(instance_id)), 404)
    assert name == 'itemNotFound'


def test_create_with_an_unknown_mode_is_400(api, ids, authority):
    body = {'instance': {'name': 'x', 'flavorRef': '1',
                         'volume': {'size': 1},
                         'datastore': {'type': 'mysql'},
                         'ssl': {'mode': 'strict'}}}
    name, message = fault(api.request('POST', BASE + '/instances', body),
                          400)
    assert 'strict' in message
    assert ok(api.get(BASE + '/instances'))['instances'] == []


def test_enforced_on_a_replicated_mysql_source_is_400(api, ids, authority):
    source = add_instance(ids)
    replica = add_instance(ids)
    with db_api.writer(trove_context.get_admin_context()) as session:
        session.get(db_models.Instance, replica).slave_of_id = source
    for instance_id in (source, replica):
        name, message = fault(api.request('POST', _url(instance_id), {
            'ssl': {'enable': True, 'mode': 'enforced'}}), 400)
        assert 'replication' in message
    ok(api.request('POST', _url(source), {
        'ssl': {'enable': True, 'mode': 'basic'}}), 202)


def test_disable_when_off_changes_nothing(api, ids, authority):
    instance_id = add_instance(ids)
    shown = ok(api.request('POST', _url(instance_id),
                           {'ssl': {'disable': True}}))['ssl']
    assert (shown['status'], shown['restart_required']) == ('off', False)
    context = trove_context.get_admin_context()
    assert claims.current(context, instance_id) is None
