"""Whether a TCP port is free to listen on, asked before a server starts.

Servers here bind with SO_REUSEPORT (granian's workers do), so a second
server on a busy port would start without error and the kernel would
split connections between the two. Probing with a plain bind first
refuses that: it fails whenever anything listens on the port.
"""

import errno
import socket


class PortInUse(Exception):

    def __init__(self, host, port):
        super().__init__('port %d on %s is already in use by another '
                         'process' % (port, host))
        self.host = host
        self.port = port


def ensure_free(host, port):
    """PortInUse if something listens on ``host:port`` (or on the port
    of every address)."""
    family = socket.AF_INET6 if ':' in (host or '') else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # A port whose last connections are in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host or '0.0.0.0', port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(host or '0.0.0.0', port) from None
            raise
