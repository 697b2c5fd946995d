"""The deployment's certificate authority (trove.common.certificates):
what it issues verifies against it, with the right names and uses."""

import os
import ssl

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from trove.common import certificates
from trove.conf import CONF


@pytest.fixture(scope='module')
def authority():
    made = certificates.create_authority('unit CA')
    return certificates.Authority(made.certificate, made.private_key)


def _load(pem):
    return x509.load_pem_x509_certificate(pem.encode())


def test_server_certificate_is_signed_for_the_instance_address(authority):
    issued = authority.issue_server('inst-1', ['127.10.0.7', 'db.example'])
    certificate = _load(issued.certificate)
    certificate.verify_directly_issued_by(authority.certificate)
    san = certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == [
        '127.10.0.7']
    assert san.get_values_for_type(x509.DNSName) == ['db.example']
    usage = certificate.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert issued.describe()['san'] == ['127.10.0.7', 'db.example']
    assert issued.describe()['cn'] == 'inst-1'


def test_python_ssl_accepts_it_for_the_address(authority, tmp_path):
    """A client verifying against the authority and the address (what
    PyMySQL's check_hostname and libpq's verify-full do)."""
    issued = authority.issue_server('inst-1', ['127.10.0.7'])
    (tmp_path / 'ca.crt').write_text(authority.certificate_pem)
    (tmp_path / 'server.crt').write_text(issued.certificate)
    (tmp_path / 'server.key').write_text(issued.private_key)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / 'server.crt', tmp_path / 'server.key')
    client = ssl.create_default_context(cafile=tmp_path / 'ca.crt')
    assert client.check_hostname
    client_in, client_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    server_in, server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_side = client.wrap_bio(client_in, client_out,
                                  server_hostname='127.10.0.7')
    server_side = server.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(10):
        for side in (client_side, server_side):
            try:
                side.do_handshake()
            except ssl.SSLWantReadError:
                pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
    assert client_side.version() is not None    # handshake done


def test_server_certificate_needs_an_address(authority):
    with pytest.raises(certificates.exception.BadRequest):
        authority.issue_server('inst-1', [])


def test_client_certificate_names_the_user(authority):
    issued = authority.issue_client('alice')
    certificate = _load(issued.certificate)
    certificate.verify_directly_issued_by(authority.certificate)
    assert issued.describe()['cn'] == 'alice'
    usage = certificate.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_authority_files_are_made_once_with_a_private_key(tmp_path):
    cert, key = str(tmp_path / 'ca.crt'), str(tmp_path / 'ca.key')
    assert certificates.ensure_authority_files(cert, key, 'CA') is True
    assert os.stat(key).st_mode & 0o777 == 0o600
    first = open(cert).read()
    assert certificates.ensure_authority_files(cert, key, 'CA') is False
    assert open(cert).read() == first


def test_no_authority_configured_is_a_400():
    CONF.set_override('instance_tls_ca_cert', None)
    try:
        with pytest.raises(certificates.TlsNotConfigured) as raised:
            certificates.load_authority()
    finally:
        CONF.clear_override('instance_tls_ca_cert')
    assert raised.value.code == 400
    assert certificates.authority_certificate() is None


def test_authority_from_the_options(tmp_path):
    cert, key = str(tmp_path / 'ca.crt'), str(tmp_path / 'ca.key')
    certificates.ensure_authority_files(cert, key, 'CA')
    CONF.set_override('instance_tls_ca_cert', cert)
    CONF.set_override('instance_tls_ca_key', key)
    try:
        loaded = certificates.load_authority()
        assert loaded.certificate_pem == open(cert).read()
        assert certificates.authority_certificate() == open(cert).read()
    finally:
        CONF.clear_override('instance_tls_ca_cert')
        CONF.clear_override('instance_tls_ca_key')
