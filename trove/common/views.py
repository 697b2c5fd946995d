"""Helpers shared by the JSON views: links and datetimes."""


_API_ROOT_KEY = 'trove.api_root'


def api_root(request):
    """Scheme, host and any prefix the API is mounted under, no version
    (worked out once per request: a page links every item twice)."""
    root = request.environ.get(_API_ROOT_KEY)
    if root is None:
        script_name = request.script_name
        version_mount = '/' + request.url_version
        if script_name.endswith(version_mount):
            script_name = script_name[:-len(version_mount)]
        root = request.environ[_API_ROOT_KEY] = (request.host_url
                                                 + script_name)
    return root


def create_links(request, resource_path, resource_id, tenant_id=None):
    """The ``self`` and ``bookmark`` links of a resource.

    ``resource_path`` is the collection path under the project, e.g.
    ``instances`` or ``datastores/versions``.
    """
    root = api_root(request)
    if tenant_id is None:
        tenant_id = request.context.project_id
    return [
        {'href': '%s/%s/%s/%s/%s' % (root, request.url_version, tenant_id,
                                     resource_path, resource_id),
         'rel': 'self'},
        {'href': '%s/%s/%s' % (root, resource_path, resource_id),
         'rel': 'bookmark'},
    ]


def isotime(value):
    """Upstream's datetime format: ISO 8601, no microseconds, no zone.
    List pages read their shown times already in this form (text from
    ``trove.db.expressions.iso_seconds``); those pass unchanged."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat(timespec='seconds')


def isotime_z(value):
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + 'Z'
