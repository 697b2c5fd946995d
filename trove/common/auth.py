"""Who the caller is: the context, tenant scoping and the noauth filter.

Pipeline order (etc/trove/api-paste.ini): ``authtoken`` (Keystone) or
``noauth`` establishes the identity headers, ``authorization`` checks that
the project in the URL is the caller's, and ``contextwrapper`` turns the
headers into a ``TroveContext`` for the controllers.
"""

import re

from oslo_log import log as logging
from oslo_middleware import request_id
import webob.dec
import webob.exc

from trove.common import context
from trove.common import exception
from trove.common import faults
from trove.common import policy
from trove.common import request_body
from trove.common import wsgi

LOG = logging.getLogger(__name__)

_TENANT_IN_PATH = re.compile(r'^/(?P<tenant_id>[^/]+)(/|$)')


def tenant_in_path(path_info):
    match = _TENANT_IN_PATH.match(path_info)
    return match.group('tenant_id') if match else None


def _project_header(request):
    return (request.headers.get('X-Project-Id')
            or request.headers.get('X-Tenant-Id')
            or request.headers.get('X-Tenant'))


class AuthorizationMiddleware(wsgi.Middleware):
    """403 unless the project in the URL is the authenticated project.

    Only paths that name a project are checked, so the version document
    ``GET /v1.0/`` stays readable (upstream answers 403 there).
    """

    def process(self, request):
        tenant_id = tenant_in_path(request.path_info)
        if tenant_id is not None and tenant_id != _project_header(request):
            error = exception.TenantMismatch(tenant_id=tenant_id)
            return faults.fault_response(request, 403, str(error))
        return None


class ContextMiddleware(wsgi.Middleware):
    """Builds the request's TroveContext from the identity headers."""

    def process(self, request):
        try:
            limit, marker = _paging(request)
        except exception.BadRequest as error:
            return faults.fault_response(request, 400, str(error))
        roles = [r.strip() for r in request.headers.get('X-Roles', '').split(',')
                 if r.strip()]
        ctx = context.TroveContext(
            auth_token=request.headers.get('X-Auth-Token'),
            user_id=request.headers.get('X-User-Id'),
            project_id=_project_header(request),
            user_name=request.headers.get('X-User-Name'),
            project_name=request.headers.get('X-Project-Name'),
            user_domain_id=request.headers.get('X-User-Domain-Id'),
            project_domain_id=request.headers.get('X-Project-Domain-Id'),
            roles=roles,
            is_admin=False,
            request_id=request.environ.get(request_id.ENV_REQUEST_ID),
            global_request_id=request.environ.get(
                request_id.GLOBAL_REQ_ID),
            service_catalog=_service_catalog(request),
            limit=limit,
            marker=marker,
            # Stored for this thread: the request's log lines carry its
            # id (trove.common.request_log forgets it afterwards).
            overwrite=True,
        )
        # Who is an administrator is the policy's call (context_is_admin),
        # so an operator can name another role. The check runs while
        # is_admin is still False: a rule that refers to is_admin cannot
        # make the answer depend on itself.
        ctx.is_admin = policy.check_is_admin(ctx)
        request.environ[wsgi.CONTEXT_KEY] = ctx
        return None


def _paging(request):
    limit = request.GET.get('limit')
    if limit is not None:
        try:
            limit = int(limit)
        except ValueError:
            raise exception.BadRequest('limit must be an integer, got %r.'
                                       % limit)
        if limit < 1:
            raise exception.BadRequest('limit must be at least 1.')
    return limit, request.GET.get('marker')


def _service_catalog(request):
    raw = request.headers.get('X-Service-Catalog')
    if not raw:
        return []
    try:
        return request_body.decode(raw.encode('utf-8', 'surrogateescape'),
                                   require_object=False)
    except exception.MalformedRequestBody:
        LOG.warning('Ignoring a malformed X-Service-Catalog header')
        return []


class NoAuthMiddleware(wsgi.Middleware):
    """Development only: trust the caller, no token needed.

    The project is the one the caller claims in X-Project-Id/X-Tenant-Id,
    else the one named in the URL (so a claim that differs from the URL
    still meets the tenant check). The user is the X-User-Id header
    (default "noauth"). Roles are the X-Roles header if given; a
    token starting with "admin" also grants the admin role, everything
    else is a plain member. Never put this filter in a deployed pipeline.
    """

    def process(self, request):
        tenant_id = tenant_in_path(request.path_info)
        token = request.headers.get('X-Auth-Token', '')
        roles = request.headers.get('X-Roles')
        if roles is None:
            roles = 'admin,member' if token.startswith('admin') else 'member'
        project_id = _project_header(request) or tenant_id
        if project_id is not None:
            for header in ('X-Project-Id', 'X-Tenant-Id'):
                request.headers[header] = project_id
        request.headers['X-User-Id'] = request.headers.get('X-User-Id',
                                                           'noauth')
        request.headers['X-Roles'] = roles
        request.headers['X-Identity-Status'] = 'Confirmed'
        return None


class LegacyAuthApp:
    """Development only: the swift-style v1 auth the legacy CLI can use.

    ``trove --bypass-url`` authenticates with ``GET <auth url>`` and needs a
    204 carrying ``X-Auth-Token`` and ``X-Server-Management-Url``; with
    noauth any credentials are accepted. The user named ``admin`` gets a
    token starting with "admin", which the noauth filter grants the admin
    role: the legacy CLI sends no X-Roles, so this is how trove-local's
    admin openrc reaches quota-update and the mgmt commands.
    """

    ADMIN_USER = 'admin'

    @classmethod
    def factory(cls, global_config, **local_config):
        return cls()

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, request):
        project = (request.headers.get('X-Auth-Project-Id')
                   or request.headers.get('X-Auth-User') or 'noauth')
        response = webob.Response(status=204)
        user = request.headers.get('X-Auth-User')
        prefix = 'admin-' if user == self.ADMIN_USER else 'noauth-'
        response.headers['X-Auth-Token'] = prefix + project
        response.headers['X-Server-Management-Url'] = (
            request.host_url + '/v1.0/' + project)
        return response
