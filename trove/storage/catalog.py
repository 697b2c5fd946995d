"""The caller's Swift endpoint, from ``swift_url`` or its service catalog.

Used by the control plane (backups) and the guest agent (published logs)
alike, so both write to the same account.
"""

from trove.conf import CONF

_INTERFACES = {'publicURL': 'public', 'internalURL': 'internal',
               'adminURL': 'admin'}


def _endpoint_url(endpoint, endpoint_type):
    """The URL of a catalog endpoint (Keystone v2 or v3 format)."""
    if endpoint.get(endpoint_type):
        return endpoint[endpoint_type]
    interface = _INTERFACES.get(endpoint_type, endpoint_type)
    if endpoint.get('interface') == interface:
        return endpoint.get('url')
    return None


def swift_url(context):
    """The caller's Swift account URL: ``swift_url`` + project id, or the
    object-store endpoint of the caller's service catalog (None if
    neither is there)."""
    if CONF.swift_url:
        return CONF.swift_url + (context.project_id or '')
    region = CONF.service_credentials.region_name
    for service in getattr(context, 'service_catalog', None) or []:
        if service.get('type') != CONF.swift_service_type:
            continue
        urls = []
        for endpoint in service.get('endpoints') or []:
            url = _endpoint_url(endpoint, CONF.swift_endpoint_type)
            if url:
                urls.append((endpoint.get('region_id')
                             or endpoint.get('region'), url))
        for endpoint_region, url in urls:
            if endpoint_region in (None, region):
                return url
        if urls:
            return urls[0][1]
    return None
