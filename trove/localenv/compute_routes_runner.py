"""The process serving trove-local's Nova and Cinder routes, and its
catalog entries.

With ``--keystone``, ``trove-local up`` runs ``trove.localenv.compute_routes``
as one detached process on 127.0.0.1 (a port chosen once per state dir,
pid file ``run/compute-routes.pid``, log ``logs/compute-routes.out``) and
registers it in Keystone as ``compute`` (``nova``) and as ``volumev3`` and
``block-storage`` (``cinderv3``, ``cinder``). ``down`` stops it by its pid.

Run as a program (``python -m trove.localenv.compute_routes_runner
--port PORT --config-file trove.conf``) it serves the routes with a
threaded stdlib WSGI server: a dashboard sends a handful of requests per
page, and the routes do no more than one SELECT each.
"""

import argparse
import os
import socketserver
import sys
import wsgiref.simple_server

from trove.common import daemon
from trove.localenv import external

NAME = 'compute-routes'
START_TIMEOUT = 30


def _paths(state_dir):
    state_dir = os.path.abspath(state_dir)
    return {'settings': os.path.join(state_dir, 'run', NAME + '.json'),
            'pid': os.path.join(state_dir, 'run', NAME + '.pid'),
            'log': os.path.join(state_dir, 'logs', NAME + '.out')}


def port(state_dir):
    """The port of this state dir's routes, chosen free the first time
    (and again when another program took it)."""
    return external.remembered_port(
        _paths(state_dir)['settings'],
        reclaim=running_pid(state_dir) is None)


def base_url(state_dir):
    return 'http://127.0.0.1:%d' % port(state_dir)


def catalog_entries(state_dir):
    """(name, service type, URL template) of the Keystone catalog: Nova
    2.1 URLs carry no project, Cinder v3 URLs do."""
    url = base_url(state_dir)
    volume = url + '/volume/v3/$(project_id)s'
    return [('nova', 'compute', url + '/compute/v2.1'),
            ('cinderv3', 'volumev3', volume),
            ('cinder', 'block-storage', volume)]


def running_pid(state_dir):
    path = _paths(state_dir)['pid']
    return daemon.read_pid(path) if daemon.is_running(path) else None


def start(state_dir, trove_conf):
    """Serve the routes unless they run; returns the pid once the server
    answers."""
    paths = _paths(state_dir)
    if not daemon.is_running(paths['pid']):
        os.makedirs(os.path.dirname(paths['log']), exist_ok=True)
        daemon.spawn([sys.executable, '-m', __name__,
                      '--port', str(port(state_dir)),
                      '--config-file', trove_conf],
                     paths['pid'], paths['log'], cwd=state_dir)
    try:
        external.wait_for_http(base_url(state_dir) + '/', paths['pid'],
                               paths['log'], timeout=START_TIMEOUT)
    except external.ExternalServiceError:
        stop(state_dir)
        raise
    return daemon.read_pid(paths['pid'])


def stop(state_dir):
    """Stop the routes of ``state_dir`` by pid; the pid, or None."""
    pid = running_pid(state_dir)
    if pid is not None:
        external.stop_pid_file(_paths(state_dir)['pid'])
    return pid


class _ThreadingServer(socketserver.ThreadingMixIn,
                       wsgiref.simple_server.WSGIServer):
    daemon_threads = True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, required=True)
    args, oslo_args = parser.parse_known_args(argv)
    from trove.cmd import common
    common.setup(oslo_args, prog='trove-local-compute-routes')
    from trove.localenv import compute_routes
    server = wsgiref.simple_server.make_server(
        '127.0.0.1', args.port, compute_routes.build_app(),
        server_class=_ThreadingServer)
    server.serve_forever()


if __name__ == '__main__':
    sys.exit(main())
