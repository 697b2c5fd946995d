"""The taskmanager's part of TLS to instances: it issues each instance's
server certificate (its addresses as SANs) with the deployment's
authority and hands it to the guest, at create (prepare's ``ssl``) and
when a user changes the mode (the restart flow's first step).

The private key is made here, sent once in the guest's (sealed) message
and never stored; the control DB keeps the public certificate only
(trove.records.instance_tls).
"""

from oslo_log import log as logging

from trove.common import certificates
from trove.records import instance_tls
from trove.taskmanager import instance_records

LOG = logging.getLogger(__name__)


def addresses_of(record):
    return [entry.get('address') for entry in (record.addresses or [])
            if isinstance(entry, dict) and entry.get('address')]


def issue_container(record):
    """(container for the guest, public facts to record) of a new server
    certificate of ``record``."""
    authority = certificates.load_authority()
    issued = authority.issue_server(record.id, addresses_of(record))
    facts = dict(issued.describe(), certificate=issued.certificate)
    container = {'certificate': issued.certificate,
                 'private_key': issued.private_key,
                 'ca_certificate': authority.certificate_pem}
    LOG.info('Issued TLS certificate %s for instance %s (SAN %s)',
             facts['serial'], record.id, ', '.join(facts['san']))
    return container, facts


def prepare_ssl(context, record):
    """prepare's ``ssl`` of a new instance (None: created without TLS);
    the certificate is recorded as applied, as the engine's first start
    uses it."""
    state = instance_tls.get(context, record.id)
    if state is None or not state.mode:
        return None
    # The addresses the server got since the flow loaded the record.
    record = instance_records.load(context, record.id) or record
    container, facts = issue_container(record)
    instance_tls.record_applied(context, record.id, state.mode, facts)
    return dict(container, mode=state.mode)


def apply_requested(context, record, guest):
    """Give the guest the mode its user asked for if it runs another one;
    True if the guest changed it (and restarted its engine)."""
    state = instance_tls.get(context, record.id)
    if state is None or not state.pending:
        return False
    if not state.mode:
        guest.ssl_action(disable=True)
        instance_tls.record_applied(context, record.id, None)
        LOG.info('TLS of instance %s is off', record.id)
        return True
    if state.certificate and state.applied_mode:
        # A mode change keeps the certificate the guest has.
        guest.ssl_action(mode=state.mode, enable=True)
        instance_tls.record_applied(context, record.id, state.mode)
    else:
        container, facts = issue_container(record)
        guest.ssl_action(mode=state.mode, container=container, enable=True)
        instance_tls.record_applied(context, record.id, state.mode, facts)
    LOG.info('TLS of instance %s is %s', record.id, state.mode)
    return True
