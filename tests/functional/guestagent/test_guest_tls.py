"""ssl_show / ssl_action through a real guest agent's RPC (doc/tls.md).

One prepared instance per engine; the guest is given a server
certificate for its address, then modes in turn, and each is checked with
real logins over TCP: verified TLS, plain text refused when enforced, a
client certificate needed with mutual TLS (also for a user renamed
meanwhile), and plain text accepted again once TLS is off.
"""


import psycopg
import pymysql
import pytest

from tests.functional.guestagent import utils
from trove.common import certificates

pytestmark = pytest.mark.functional

PASSWORD = 'tls-pw-1'


@pytest.fixture(scope='module')
def module_dir():
    with utils.module_temp_dir('trove-test-tls-') as path:
        yield path


@pytest.fixture(scope='module', params=sorted(utils.ENGINES))
def instance(request, module_dir, conductor):
    with utils.healthy_guest(request.param, module_dir, conductor) as guest:
        yield guest


def _login(instance, user, ca=None, client=None, plain=False):
    if instance.manager == 'postgresql':
        options = {'sslmode': 'disable'} if plain else {
            'sslmode': 'verify-full', 'sslrootcert': ca}
        if client:
            options.update(sslcert=client[0], sslkey=client[1])
        psycopg.connect(host=instance.address, port=5432, user=user,
                        password=PASSWORD, dbname='postgres',
                        connect_timeout=5, **options).close()
        return
    options = {'ssl_disabled': True} if plain else {
        'ssl_ca': ca, 'ssl_verify_cert': True, 'ssl_verify_identity': True}
    if client:
        options.update(ssl_cert=client[0], ssl_key=client[1])
    pymysql.connect(host=instance.address, port=3306, user=user,
                    password=PASSWORD, connect_timeout=5, **options).close()


def _refused(instance, user, **kwargs):
    try:
        _login(instance, user, **kwargs)
    except (psycopg.Error, pymysql.Error):
        return True
    return False


def _user(name):
    return {'_name': name, '_host': '%', '_password': PASSWORD,
            '_databases': []}


def test_modes_through_the_guest(instance, tmp_path):
    made = certificates.create_authority('guest test CA')
    authority = certificates.Authority(made.certificate, made.private_key)
    server = authority.issue_server('inst', [instance.address])
    ca = tmp_path / 'ca.crt'
    ca.write_text(made.certificate)
    ca = str(ca)
    api = instance.api()
    api.create_user([_user('alice')])
    assert api.ssl_show()['status'] == 'off'

    shown = api.ssl_action(mode='enforced', enable=True, container={
        'certificate': server.certificate,
        'private_key': server.private_key,
        'ca_certificate': made.certificate})
    assert (shown['status'], shown['mode']) == ('on', 'enforced')
    _login(instance, 'alice', ca=ca)
    assert _refused(instance, 'alice', plain=True)

    # Mutual TLS: no certificate, no login; a renamed user needs the
    # certificate of its new name.
    api.ssl_action(mode='mtls', enable=True)
    assert _refused(instance, 'alice', ca=ca)
    api.update_attributes('alice', '%', {'name': 'bob'})
    issued = authority.issue_client('bob')
    cert, key = tmp_path / 'bob.crt', tmp_path / 'bob.key'
    cert.write_text(issued.certificate)
    key.write_text(issued.private_key)
    key.chmod(0o600)
    _login(instance, 'bob', ca=ca, client=(str(cert), str(key)))

    shown = api.ssl_action(disable=True)
    assert shown == {'status': 'off', 'mode': None, 'certificate': None}
    _login(instance, 'bob', plain=True)
