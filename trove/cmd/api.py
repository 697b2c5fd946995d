"""trove-api: the REST API, served by gunicorn worker processes.

Each worker loads the paste application after the fork, so no database
connection or RPC transport is ever shared between processes.
"""

import os

from gunicorn.app import base as gunicorn_base
from oslo_log import log as logging

from trove.cmd import common
from trove.conf import CONF

LOG = logging.getLogger(__name__)


class APIServer(gunicorn_base.BaseApplication):

    def __init__(self, settings):
        self._settings = settings
        super().__init__()

    def load_config(self):
        for key, value in self._settings.items():
            self.cfg.set(key, value)

    def load(self):
        from trove.common import app
        return app.load_app()


def server_settings():
    workers = CONF.trove_api_workers or os.cpu_count() or 1
    return {
        'bind': '%s:%d' % (CONF.bind_host, CONF.bind_port),
        'workers': workers,
        'worker_class': 'gthread',
        'threads': CONF.trove_api_threads,
        # A worker accepts a connection only when one of its threads is
        # free, so requests spread over the workers instead of piling up
        # (and fighting over the GIL) in whichever accepted first. That
        # needs connections closed after each response: an idle
        # keep-alive connection would hold a thread's slot.
        'worker_connections': CONF.trove_api_threads,
        'keepalive': 0,
        'timeout': max(CONF.agent_call_high_timeout + 30, 60),
        'graceful_timeout': 10,
        'limit_request_field_size': CONF.max_header_line,
        'control_socket_disable': True,
        'proc_name': 'trove-api',
        'accesslog': None,
        'errorlog': '-',
        'loglevel': 'warning',
    }


def main():
    common.setup(prog='trove-api')
    settings = server_settings()
    LOG.info('trove-api listening on %s with %d workers', settings['bind'],
             settings['workers'])
    APIServer(settings).run()
