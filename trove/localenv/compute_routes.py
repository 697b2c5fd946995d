"""The read-only Nova and Cinder routes of the local provider, for Horizon.

Horizon's Database panel asks **Nova** for flavor names
(``/flavors/detail``, ``/flavors/{id}``) and availability zones, and
**Cinder** for volume types, through the service catalog; without a
``compute`` and a block-storage entry its Launch Instance form fails.
On one machine the local provider *is* the compute and volume service,
so trove-local serves those few routes itself, with Nova's and Cinder's
JSON shapes, from what the local provider offers:

=====================================================  ==================
``GET /compute/``, ``/compute/v2.1/``                   version documents
``GET /compute/v2.1/flavors[/detail]``, ``/{id}``       the flavors table
``GET /compute/v2.1/flavors/{id}/os-extra_specs``       ``{}``
``GET /compute/v2.1/os-availability-zone[/detail]``     the one zone
``GET /volume/``, ``/volume/v3/``                       version documents
``GET /volume/v3/{project}/types[/{id}|/default]``      the volume types
=====================================================  ==================

Version documents answer without a token, as Nova's and Cinder's do;
everything else sits behind keystonemiddleware's auth_token
(``[keystone_authtoken]`` of trove.conf). Flavors are read through
``trove.compute.local.flavors.LocalFlavors``, zones and volume types come from
``trove.compute.local.choices``. This module never writes anything and
is never part of trove-api: on OpenStack the real Nova and Cinder serve
these routes.
"""

import re

import webob
import webob.dec
from keystonemiddleware import auth_token

from trove.common import context as trove_context
from trove.common import exception, faults
from trove.compute.local import choices
from trove.compute.local import flavors as local_flavors

NOVA_VERSION = '2.1'
CINDER_VERSION = '3.0'
# Dates of the two API versions' first release, as the real services show.
NOVA_UPDATED = '2013-07-23T11:33:21Z'
CINDER_UPDATED = '2016-02-08T12:20:21Z'


def _link(request, path, rel='self'):
    return {'rel': rel, 'href': request.host_url + path}


def _version(request, version_id, version, updated, path, media_type):
    return {'id': version_id, 'status': 'CURRENT', 'version': version,
            'min_version': version, 'updated': updated,
            'links': [_link(request, path)],
            'media-types': [{'base': 'application/json', 'type': media_type}]}


def nova_version(request):
    return _version(request, 'v2.1', NOVA_VERSION, NOVA_UPDATED,
                    '/compute/v2.1/',
                    'application/vnd.openstack.compute+json;version=2.1')


def cinder_version(request):
    return _version(request, 'v3.0', CINDER_VERSION, CINDER_UPDATED,
                    '/volume/v3/',
                    'application/vnd.openstack.volume+json;version=3')


def flavor_view(request, flavor, detailed=True):
    path = '/compute/v2.1/flavors/%s' % flavor.id
    view = {'id': flavor.id, 'name': flavor.name,
            'links': [_link(request, path),
                      _link(request, path, 'bookmark')]}
    if detailed:
        view.update({'ram': flavor.ram, 'vcpus': flavor.vcpus,
                     'disk': flavor.disk, 'swap': '', 'rxtx_factor': 1.0,
                     'OS-FLV-EXT-DATA:ephemeral': flavor.ephemeral,
                     'OS-FLV-DISABLED:disabled': False,
                     'os-flavor-access:is_public': True})
    return view


def volume_type_view(volume_type):
    return {'id': volume_type.id, 'name': volume_type.name,
            'description': volume_type.description,
            'is_public': volume_type.is_public,
            'os-volume-type-access:is_public': volume_type.is_public,
            'extra_specs': {}, 'qos_specs_id': None}


def _page(items, request):
    """Nova's ``marker``/``limit`` paging over the sorted flavors."""
    marker = request.GET.get('marker')
    if marker is not None:
        ids = [item.id for item in items]
        if marker not in ids:
            raise webob.exc.HTTPBadRequest('marker [%s] not found' % marker)
        items = items[ids.index(marker) + 1:]
    limit = request.GET.get('limit')
    if limit is not None:
        if not limit.isdigit():
            raise webob.exc.HTTPBadRequest('limit must be an integer '
                                           '0 or greater')
        items = items[:int(limit)]
    return items


# -- handlers: (request, context, **path groups) -> JSON document --------

def list_flavors(request, context, detail=None):
    flavors = _page(local_flavors.LocalFlavors().list(context), request)
    return {'flavors': [flavor_view(request, flavor, bool(detail))
                        for flavor in flavors]}


def show_flavor(request, context, flavor_id):
    return {'flavor': flavor_view(
        request, local_flavors.LocalFlavors().get(context, flavor_id))}


def flavor_extra_specs(request, context, flavor_id):
    local_flavors.LocalFlavors().get(context, flavor_id)
    return {'extra_specs': {}}


def list_zones(request, context, detail=None):
    zones = [{'zoneName': name, 'zoneState': {'available': True},
              'hosts': None} for name in choices.availability_zones()]
    return {'availabilityZoneInfo': zones}


def list_volume_types(request, context, project_id):
    return {'volume_types': [volume_type_view(volume_type) for volume_type
                             in choices.volume_types(context)]}


def show_volume_type(request, context, project_id, type_id):
    if type_id == 'default':
        found = choices.default_volume_type(context)
    else:
        found = next((volume_type for volume_type
                      in choices.volume_types(context)
                      if type_id in (volume_type.id, volume_type.name)),
                     None)
    if found is None:
        raise webob.exc.HTTPNotFound('Volume type %s could not be found.'
                                     % type_id)
    return {'volume_type': volume_type_view(found)}


def volume_type_extra_specs(request, context, project_id, type_id):
    show_volume_type(request, context, project_id, type_id)
    return {'extra_specs': {}}


NOVA = '/compute/v2.1'
CINDER = '/volume/v3/(?P<project_id>[^/]+)'
ROUTES = [(re.compile('^%s$' % pattern), handler) for pattern, handler in (
    (NOVA + '/flavors(?P<detail>/detail)?/?', list_flavors),
    (NOVA + '/flavors/(?P<flavor_id>[^/]+)', show_flavor),
    (NOVA + '/flavors/(?P<flavor_id>[^/]+)/os-extra_specs',
     flavor_extra_specs),
    (NOVA + '/os-availability-zone(?P<detail>/detail)?', list_zones),
    (CINDER + '/types/?', list_volume_types),
    (CINDER + '/types/(?P<type_id>[^/]+)', show_volume_type),
    (CINDER + '/types/(?P<type_id>[^/]+)/extra_specs',
     volume_type_extra_specs),
)]


class ResourceApp:
    """The routes behind auth_token: answers as the token's project."""

    @webob.dec.wsgify
    def __call__(self, request):
        if request.method != 'GET':
            return faults.fault_response(
                request, 405, 'trove-local serves only what the dashboard '
                              'reads; %s is not supported' % request.method)
        for pattern, handler in ROUTES:
            match = pattern.match(request.path_info)
            if match:
                return self._answer(request, handler, match.groupdict())
        return faults.fault_response(request, 404, 'Unknown resource %s'
                                     % request.path_info)

    def _answer(self, request, handler, groups):
        context = trove_context.TroveContext.from_environ(request.environ)
        project_id = groups.get('project_id')
        if project_id not in (None, context.project_id) and \
                'admin' not in context.roles:
            return faults.fault_response(
                request, 403, 'Project %s is not the project of the token'
                % project_id)
        try:
            document = handler(request, context, **groups)
        except exception.NotFound as error:
            return faults.fault_response(request, 404, str(error))
        except webob.exc.HTTPException as error:
            return faults.exception_response(request, error)
        return _json(document, self._version_headers(request))

    @staticmethod
    def _version_headers(request):
        if request.path_info.startswith('/compute/'):
            return {'X-OpenStack-Nova-API-Version': NOVA_VERSION,
                    'OpenStack-API-Version': 'compute ' + NOVA_VERSION}
        return {'OpenStack-API-Version': 'volume ' + CINDER_VERSION}


def _json(document, headers=None, status=200):
    response = webob.Response(status=status, json_body=document,
                              charset='utf-8')
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


VERSION_DOCUMENTS = {
    '/': lambda request: {'versions': [nova_version(request),
                                       cinder_version(request)]},
    '/compute': lambda request: {'versions': [nova_version(request)]},
    '/compute/v2.1': lambda request: {'version': nova_version(request)},
    '/volume': lambda request: {'versions': [cinder_version(request)]},
    '/volume/v3': lambda request: {'versions': [cinder_version(request)]},
}


class LocalComputeVolumeApp:
    """Version documents in the open, the rest through auth_token."""

    def __init__(self, auth_conf=None):
        self.resources = auth_token.AuthProtocol(ResourceApp(),
                                                 dict(auth_conf or {}))

    @webob.dec.wsgify
    def __call__(self, request):
        document = VERSION_DOCUMENTS.get(request.path_info.rstrip('/') or '/')
        if document is not None and request.method == 'GET':
            return _json(document(request))
        return request.get_response(self.resources)


def build_app():
    """The WSGI application; ``trove.conf`` must be loaded (CONF)."""
    # keystonemiddleware reads [keystone_authtoken] of the global CONF,
    # which is Trove's.
    return LocalComputeVolumeApp()

