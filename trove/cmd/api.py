"""trove-api: the REST API, served by granian worker processes.

granian parses HTTP and keeps client connections alive in native code,
outside Python's GIL; each worker process runs the paste application on
``trove_api_threads`` Python threads. Workers are forked once options are
parsed and load the application themselves, so no database connection or
RPC transport is ever shared between processes.
"""

import os
import sys

from granian import constants as granian_constants
from granian import http as granian_http
from granian import log as granian_log
from granian import server as granian_server
from oslo_log import log as logging

from trove.cmd import common
from trove.common import ports
from trove.conf import CONF

LOG = logging.getLogger(__name__)

# The default HTTP/1 buffer of granian (the request head must fit in it).
_DEFAULT_BUFFER = granian_http.HTTP1Settings.max_buffer_size
# granian's own loggers go to the handlers oslo.log set up, not stdout.
_LOGGING = {'loggers': {
    '_granian': {'handlers': [], 'propagate': True},
    'granian.access': {'handlers': [], 'propagate': True},
}}


def load_application():
    """The paste application; called in each worker after the fork."""
    from trove.common import app
    return app.load_app()


def server_settings():
    workers = CONF.trove_api_workers or os.cpu_count() or 1
    return {
        'address': CONF.bind_host,
        'port': CONF.bind_port,
        'interface': granian_constants.Interfaces.WSGI,
        'workers': workers,
        # Python threads per worker: requests beyond them wait in
        # granian's queue, in arrival order, while their connections
        # stay open (keep-alive costs no thread).
        'blocking_threads': CONF.trove_api_threads,
        # How many connections a worker takes in at once. A keep-alive
        # connection keeps its slot until it closes, so the limit must
        # be far above the clients a worker may have: one beyond it
        # would wait unserved for as long as the others stay open.
        'backpressure': 1024,
        'runtime_threads': 1,
        'http': granian_constants.HTTPModes.http1,
        'http1_settings': granian_http.HTTP1Settings(
            max_buffer_size=max(_DEFAULT_BUFFER,
                                CONF.max_header_line + 8192)),
        'websockets': False,
        'respawn_failed_workers': True,
        'workers_kill_timeout': 10,
        'log_level': granian_log.LogLevels.warning,
        'log_dictconfig': _LOGGING,
    }


def main():
    common.setup(prog='trove-api')
    settings = server_settings()
    try:
        ports.ensure_free(settings['address'], settings['port'])
    except ports.PortInUse as error:
        LOG.error('trove-api cannot start: %s', error)
        sys.exit('trove-api: %s; set bind_port to a free one' % error)
    LOG.info('trove-api listening on %s:%d with %d workers',
             settings['address'], settings['port'], settings['workers'])
    server = granian_server.MPServer('trove.cmd.api:load_application',
                                     **settings)
    server.serve(target_loader=load_application, wrap_loader=False)
