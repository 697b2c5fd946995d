"""TLS to instances, the API's rules: which modes a datastore offers,
what a user sees of an instance's TLS, and checks of a request.

The mode asked for is recorded (trove.records.instance_tls) and applied
by the taskmanager, which issues the server certificate; the API only
reads the deployment authority's certificate, to show it, and issues
client certificates for mutual TLS (doc/tls.md).
"""

from trove.common import certificates
from trove.common import exception
from trove.records import instance_tls

MODES = instance_tls.MODES
# Datastores whose guest agents configure TLS, and the modes each offers.
DATASTORE_MODES = {'mariadb': MODES, 'mysql': MODES, 'postgresql': MODES}


def check_mode(manager, mode):
    """400 unless ``manager``'s instances offer ``mode`` and the
    deployment has an authority to sign their certificates."""
    offered = DATASTORE_MODES.get(manager, ())
    if not offered:
        raise exception.BadRequest(
            'TLS is not available for %s instances.' % manager)
    if mode not in offered:
        raise exception.BadRequest(
            'TLS mode %s is not available for %s instances; expected one '
            'of %s.' % (mode, manager, ', '.join(offered)))
    if certificates.authority_certificate() is None:
        raise certificates.TlsNotConfigured()


# Modes a replication link of the datastore cannot cross: MariaDB
# replicas connect without TLS, PostgreSQL replicas hold no client
# certificate.
BREAKS_REPLICATION = {'mariadb': ('enforced', 'mtls'),
                      'mysql': ('enforced', 'mtls'),
                      'postgresql': ('mtls',)}


def check_replication(manager, mode, replicated):
    """400 if ``mode`` would cut the replication of an instance that is
    a replica or has replicas."""
    if replicated and mode in BREAKS_REPLICATION.get(manager, ()):
        raise exception.BadRequest(
            'TLS mode %s would stop the replication of this instance: '
            '%s replication does not use it.' % (mode, manager))


def mode_for_create(manager, ssl):
    """The mode of a create body's ``"ssl": {"mode": ...}`` (None: no
    TLS)."""
    if ssl is None:
        return None
    if not isinstance(ssl, dict) or ssl.get('enable') is False:
        return None
    mode = ssl.get('mode', 'basic')
    check_mode(manager, mode)
    return mode


def view(state, include_certificate=False):
    """``{"status", "mode", "certificate", "ca_certificate"}`` of an
    instance's TlsState (upstream's keys, plus the authority's PEM so a
    client can verify, and the mode still to apply)."""
    applied = state.applied_mode
    body = {'status': 'on' if applied else 'off', 'mode': applied,
            'certificate': None,
            'ca_certificate': certificates.authority_certificate()}
    if state.pending:
        body['pending_mode'] = state.mode
    facts = state.certificate
    if applied and facts:
        certificate = {key: facts.get(key)
                       for key in ('cn', 'san', 'serial', 'expire_at')}
        if include_certificate:
            certificate['payload'] = facts.get('certificate')
        body['certificate'] = certificate
    return body


def check_action(manager, state, ssl):
    """The mode (None: off) a validated ``{"ssl": {...}}`` asks for."""
    for key in ('container_ref', 'password_ref'):
        if ssl.get(key):
            raise exception.BadRequest(
                '%s is not supported: certificates are issued by the '
                'deployment\'s certificate authority.' % key)
    asked = [key for key in ('enable', 'disable', 'rollback')
             if ssl.get(key)]
    if ssl.get('client_certificate'):
        asked.append('client_certificate')
    if len(asked) != 1:
        raise exception.BadRequest(
            'Exactly one of enable, disable, rollback or client_certificate '
            'is expected, got %s.' % (', '.join(asked) or 'none'))
    action = asked[0]
    if 'mode' in ssl and action != 'enable':
        raise exception.BadRequest('mode is only given with enable.')
    if action == 'rollback':
        raise exception.BadRequest(
            'rollback is not supported: each certificate is issued by the '
            'deployment\'s authority, there is no earlier one to restore.')
    if action == 'disable':
        return None
    if action == 'client_certificate':
        if state.applied_mode != 'mtls':
            raise exception.BadRequest(
                'Client certificates are issued for instances in mtls '
                'mode only.')
        return state.mode
    mode = ssl.get('mode', 'basic')
    check_mode(manager, mode)
    return mode


def client_certificate(user_name):
    """A client certificate and key for ``user_name`` (mutual TLS): the
    key is shown once and never stored."""
    authority = certificates.load_authority()
    issued = authority.issue_client(user_name)
    return dict(issued.describe(), certificate=issued.certificate,
                private_key=issued.private_key,
                ca_certificate=authority.certificate_pem)
