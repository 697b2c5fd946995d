"""Clients of Nova, Cinder, Neutron and Glance as Trove's service user.

Every call the openstack provider makes goes through one keystoneauth
session per process, authenticated from ``[service_credentials]`` and
scoped to the service project, as upstream Trove's admin clients are:
servers, volumes, ports and security groups live in the service project,
not the user's. Endpoints come from that user's service catalog
(``<service>_service_type``, ``<service>_endpoint_type``, region
``[service_credentials] region_name``) unless ``nova_compute_url``,
``cinder_url``, ``neutron_url`` or ``glance_url`` overrides them.

Nova and Cinder are driven by python-novaclient and python-cinderclient;
Neutron and Glance by openstacksdk (neutronclient's Python bindings are
deprecated in its favour). ``set_session`` lets tests put a recorded or
replayed transport under all four.

This module makes no request itself.
"""

import threading

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from trove.conf import CONF

_lock = threading.Lock()
_session = None


def _interface(endpoint_type):
    """'publicURL' (upstream's spelling) -> 'public'."""
    return endpoint_type[:-3] if endpoint_type.endswith('URL') else \
        endpoint_type


def service_session():
    """The process's keystoneauth session of the service user."""
    global _session
    with _lock:
        if _session is None:
            _session = _new_session()
        return _session


def _new_session(requests_session=None):
    creds = CONF.service_credentials
    auth = v3.Password(auth_url=creds.auth_url, username=creds.username,
                       password=creds.password,
                       project_id=creds.project_id or None,
                       project_name=creds.project_name or None,
                       user_domain_name=creds.user_domain_name,
                       project_domain_name=creds.project_domain_name)
    return ks_session.Session(auth=auth, session=requests_session)


def set_session(session):
    """Use ``session`` (tests: a recording or replaying one); None resets."""
    global _session
    with _lock:
        _session = session


def _endpoint(prefix, url_option=None):
    return {
        'endpoint_override': getattr(CONF, url_option or prefix + '_url'),
        'service_type': getattr(CONF, prefix + '_service_type'),
        'interface': _interface(getattr(CONF, prefix + '_endpoint_type')),
        'region_name': CONF.service_credentials.region_name,
    }


def _versioned_client(client_module, version, prefix, url_option, session):
    endpoint = _endpoint(prefix, url_option)
    return client_module.Client(
        version, session=session or service_session(),
        endpoint_override=endpoint['endpoint_override'],
        service_type=endpoint['service_type'],
        endpoint_type=endpoint['interface'],
        region_name=endpoint['region_name'])


def nova(session=None):
    from novaclient import client
    return _versioned_client(client, CONF.nova_client_version,
                             'nova_compute', 'nova_compute_url', session)


def cinder(session=None):
    from cinderclient import client
    return _versioned_client(client, CONF.cinder_client_version, 'cinder',
                             None, session)


def sdk(session=None):
    """An openstacksdk connection for Neutron (``.network``) and Glance
    (``.image``)."""
    from openstack import connection
    options = {'region_name': CONF.service_credentials.region_name}
    for service, prefix in (('network', 'neutron'), ('image', 'glance')):
        endpoint = _endpoint(prefix)
        options[service + '_interface'] = endpoint['interface']
        if endpoint['service_type'] != service:
            options[service + '_service_type'] = endpoint['service_type']
        if endpoint['endpoint_override']:
            options[service + '_endpoint_override'] = \
                endpoint['endpoint_override']
    return connection.Connection(session=session or service_session(),
                                 **options)
