"""``GET /v1.0/``: the document of this API version."""

from trove.api import versions
from trove.common import views
from trove.common import wsgi


class VersionController(wsgi.Controller):

    def show(self, req):
        return {'version': versions.version_view(versions.VERSIONS[0],
                                                 views.api_root(req))}
