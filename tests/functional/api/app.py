"""The API application in this process, on a given control database.

``InProcessAPI`` loads the real paste pipeline (``auth_strategy = noauth``)
and sends ``webob`` requests through it, like curl would over HTTP.
"""

import contextlib
import json

import sqlalchemy as sa
import webob
from oslo_config import cfg

from trove.common import app as trove_app
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import migration

ADMIN = {'X-Auth-Token': 'admin'}


def migrate(url):
    engine = sa.create_engine(url)
    try:
        migration.upgrade(engine)
    finally:
        engine.dispose()


class InProcessAPI:

    def __init__(self, application):
        self.application = application

    def request(self, method, path, body=None, headers=None):
        request = webob.Request.blank(path, method=method,
                                      headers=headers or {})
        if body is not None:
            request.body = (body if isinstance(body, bytes)
                            else json.dumps(body).encode())
            request.content_type = 'application/json'
        return request.get_response(self.application)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def admin(self, method, path, body=None):
        return self.request(method, path, body=body, headers=dict(ADMIN))


def _ensure_conf_parsed():
    """Config files are looked up only once options were parsed."""
    try:
        CONF.find_file('api-paste.ini')
    except cfg.NotInitializedError:
        CONF([], project='trove', default_config_files=[])


@contextlib.contextmanager
def in_process_api(url, state_path):
    """The API on database ``url`` (already migrated); CONF and the
    database facade are put back afterwards."""
    _ensure_conf_parsed()
    overrides = {'auth_strategy': 'noauth', 'state_path': str(state_path)}
    for name, value in overrides.items():
        CONF.set_override(name, value)
    db_api.configure(url)
    try:
        yield InProcessAPI(trove_app.load_app())
    finally:
        for name in overrides:
            CONF.clear_override(name)
        db_api.configure()
