"""The deployment's certificate authority for TLS to instances.

It signs one server certificate per instance (its address as the subject
alternative name, so clients can verify with ``sslmode=verify-full`` or
``--ssl-verify-server-cert``) and, for mutual TLS, client certificates
whose common name is a database user. Keys are EC P-256: quick to make
and read by every engine's OpenSSL.

This module only makes and reads certificates; it never stores one in
the control DB nor sends one anywhere (callers do).
"""

import dataclasses
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from trove.common import exception
from trove.conf import CONF

AUTHORITY_DAYS = 3650
# Clocks of clients and engines may lag a little behind the controller's.
BACKDATE = datetime.timedelta(minutes=5)


class TlsNotConfigured(exception.BadRequest):
    message = ('TLS to instances is not available in this deployment: '
               'the operator has not configured its certificate authority '
               '(instance_tls_ca_cert and instance_tls_ca_key).')


@dataclasses.dataclass
class Issued:
    """A certificate and its private key, both PEM text."""

    certificate: str
    private_key: str

    def describe(self):
        return describe(self.certificate)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _new_key():
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()


def _cert_pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Trove'),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])


def subject_alternative_names(addresses):
    """IP addresses as IP entries, anything else as a DNS name."""
    names = []
    for address in addresses:
        if not address:
            continue
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            names.append(x509.DNSName(address))
    return names


def create_authority(common_name, days=AUTHORITY_DAYS):
    """A new self-signed certificate authority (an Issued)."""
    key = _new_key()
    name = _name(common_name)
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                       critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True,
            content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(
            key.public_key()), critical=False)
        .sign(key, hashes.SHA256()))
    return Issued(_cert_pem(certificate), _key_pem(key))


def ensure_authority_files(cert_path, key_path, common_name):
    """Make the authority at these paths unless both files exist (the
    key mode 0600); return whether it was made now."""
    if os.path.exists(cert_path) and os.path.exists(key_path):
        return False
    issued = create_authority(common_name)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, 'w') as key_file:
        key_file.write(issued.private_key)
    with open(cert_path, 'w') as cert_file:
        cert_file.write(issued.certificate)
    return True


class Authority:
    """A loaded certificate authority that issues certificates."""

    def __init__(self, certificate_pem, key_pem):
        self.certificate_pem = certificate_pem
        self.certificate = x509.load_pem_x509_certificate(
            certificate_pem.encode())
        self.key = serialization.load_pem_private_key(key_pem.encode(),
                                                      password=None)

    def _issue(self, common_name, extended_usage, san=(), days=None):
        key = _new_key()
        days = days or CONF.instance_tls_cert_days
        now = _now()
        not_after = min(now + datetime.timedelta(days=days),
                        self.certificate.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False,
                                                 path_length=None),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_encipherment=True,
                content_commitment=False, data_encipherment=False,
                key_agreement=True, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([extended_usage]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.
                           from_issuer_public_key(self.key.public_key()),
                           critical=False))
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(list(san)), critical=False)
        certificate = builder.sign(self.key, hashes.SHA256())
        return Issued(_cert_pem(certificate), _key_pem(key))

    def issue_server(self, common_name, addresses, days=None):
        """The server certificate of an instance reached at
        ``addresses`` (IPs or host names, each a SAN entry)."""
        san = subject_alternative_names(addresses)
        if not san:
            raise exception.BadRequest(
                'The instance has no address to certify yet.')
        return self._issue(common_name, ExtendedKeyUsageOID.SERVER_AUTH,
                           san, days)

    def issue_client(self, user_name, days=None):
        """A client certificate for the database user ``user_name`` (its
        common name, which PostgreSQL's clientcert=verify-full and
        MariaDB's REQUIRE SUBJECT check)."""
        return self._issue(user_name, ExtendedKeyUsageOID.CLIENT_AUTH,
                           days=days)


def load_authority():
    """The deployment's authority from the options (400 if unset or
    unreadable: the operator must configure it)."""
    cert_path = CONF.instance_tls_ca_cert
    key_path = CONF.instance_tls_ca_key
    if not cert_path or not key_path:
        raise TlsNotConfigured()
    try:
        with open(cert_path) as cert_file, open(key_path) as key_file:
            return Authority(cert_file.read(), key_file.read())
    except (OSError, ValueError) as error:
        raise TlsNotConfigured() from error


def authority_certificate():
    """The authority's certificate (PEM) clients verify against, or None
    when the deployment has none."""
    path = CONF.instance_tls_ca_cert
    if not path:
        return None
    try:
        with open(path) as cert_file:
            return cert_file.read()
    except OSError:
        return None


def describe(certificate_pem):
    """What a user may see of a certificate (upstream's keys)."""
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    try:
        names = certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
        san = [str(value) for value in names.get_values_for_type(
            x509.IPAddress)] + names.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        san = []
    common_names = certificate.subject.get_attributes_for_oid(
        NameOID.COMMON_NAME)
    return {'cn': common_names[0].value if common_names else None,
            'san': san,
            'serial': '%x' % certificate.serial_number,
            # Upstream's format (UTC, no zone suffix).
            'expire_at': certificate.not_valid_after_utc.strftime(
                '%Y-%m-%dT%H:%M:%S.%f')}
