"""The taskmanager's part of TLS to instances (trove.taskmanager.
instance_tls) on a migrated control DB: it issues a server certificate
for the instance's address, gives the guest the mode asked for, and
records only the public certificate."""

import json

import pytest

from tests.helpers import factories
from trove.common import certificates
from trove.common import context as trove_context
from trove.conf import CONF
from trove.records import instance_tls as records
from trove.taskmanager import instance_records
from trove.taskmanager import instance_tls

pytestmark = pytest.mark.functional

ADDRESS = '127.10.3.4'


class RecordingGuest:
    def __init__(self):
        self.actions = []

    def ssl_action(self, **kwargs):
        self.actions.append(kwargs)
        return {'status': 'on'}


@pytest.fixture
def authority(tmp_path):
    cert, key = str(tmp_path / 'ca.crt'), str(tmp_path / 'ca.key')
    certificates.ensure_authority_files(cert, key, 'test CA')
    CONF.set_override('instance_tls_ca_cert', cert)
    CONF.set_override('instance_tls_ca_key', key)
    try:
        yield certificates.load_authority()
    finally:
        CONF.clear_override('instance_tls_ca_cert')
        CONF.clear_override('instance_tls_ca_key')


@pytest.fixture
def context(db):
    return trove_context.get_admin_context(project_id='demo')


def _instance(context, mode=None):
    instance_id = factories.create_test_instance(
        context, ssl_mode=mode,
        addresses=json.dumps([{'address': ADDRESS, 'type': 'private'}]))
    return instance_records.load(context, instance_id)


def test_prepare_gets_a_certificate_for_the_address(context, authority):
    record = _instance(context, 'enforced')
    ssl = instance_tls.prepare_ssl(context, record)
    assert ssl['mode'] == 'enforced'
    assert ssl['ca_certificate'] == authority.certificate_pem
    assert certificates.describe(ssl['certificate'])['san'] == [ADDRESS]
    assert 'PRIVATE KEY' in ssl['private_key']
    state = records.get(context, record.id)
    assert (state.mode, state.applied_mode) == ('enforced', 'enforced')
    assert state.certificate['certificate'] == ssl['certificate']
    # The key is never stored.
    assert ssl['private_key'] not in json.dumps(state.certificate)


def test_prepare_without_a_mode_sends_no_tls(context, authority):
    assert instance_tls.prepare_ssl(context, _instance(context)) is None


def test_enable_change_and_disable(context, authority):
    record = _instance(context)
    guest = RecordingGuest()
    assert instance_tls.apply_requested(context, record, guest) is False

    records.request_mode(context, record.id, 'basic')
    assert instance_tls.apply_requested(context, record, guest) is True
    [enable] = guest.actions
    assert enable['mode'] == 'basic'
    assert set(enable['container']) == {'certificate', 'private_key',
                                        'ca_certificate'}
    issued = records.get(context, record.id).certificate

    # A mode change keeps the certificate the guest has.
    records.request_mode(context, record.id, 'enforced')
    instance_tls.apply_requested(context, record, guest)
    assert guest.actions[-1] == {'mode': 'enforced', 'enable': True}
    state = records.get(context, record.id)
    assert (state.applied_mode, state.certificate) == ('enforced', issued)

    records.request_mode(context, record.id, None)
    instance_tls.apply_requested(context, record, guest)
    assert guest.actions[-1] == {'disable': True}
    state = records.get(context, record.id)
    assert (state.applied_mode, state.certificate) == (None, None)
    assert instance_tls.apply_requested(context, record, guest) is False
