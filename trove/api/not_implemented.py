"""Upstream routes whose feature this service does not have (yet).

Each answers 501 ``notImplemented`` with a sentence naming the feature, so
a client (and a user reading its error) can tell "this deployment cannot do
that" from "no such resource" (404). A route leaves this table when its
feature is implemented; it must never shadow a real route, so the table is
mapped after every real one.
"""

from trove.common import exception
from trove.common import wsgi

INSTANCE = '/instances/{id}'

# (method, path under /{tenant_id}, feature named in the message)
ROUTES = [
    ('POST', '/mgmt/instances/{id}/upgrade', 'guest agent upgrades'),
]


class FeatureNotImplemented(exception.TroveError):
    message = ('%(feature)s: this feature of the Trove API is not '
               'implemented by this service.')
    code = 501


class NotImplementedController(wsgi.Controller):

    def __init__(self, feature):
        self.feature = feature

    def answer(self, req, **kwargs):
        raise FeatureNotImplemented(feature=self.feature[:1].upper()
                                    + self.feature[1:])


def add_routes(router, prefix):
    controllers = {}
    for method, path, feature in ROUTES:
        controller = controllers.setdefault(
            feature, wsgi.Resource(NotImplementedController(feature)))
        router.connect(prefix + path, controller, 'answer', [method])
