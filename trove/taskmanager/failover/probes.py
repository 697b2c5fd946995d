"""Engine probes: does a primary's engine still answer, within a short
timeout, independently of its guest agent?

A probe connects over TCP and goes as far as the engine's own answer to a
login: MariaDB sends its greeting and answers a login as ``os_probe``
(then ``SELECT 1`` when the account exists); PostgreSQL's backend
answers an SSL request and a startup packet. A refused login still
counts as an answer: the engine is running and serving connections,
which is all the probe asks (a dead, killed or hung engine gives no
answer at all). Nothing here touches the control DB.
"""

import socket
import struct
import time

import pymysql

from trove.conf import CONF

PROBE_USER = 'os_probe'
# MariaDB error codes from here up are the client library's.
CLIENT_ERRORS = 2000
PG_SSL_REQUEST = struct.pack('!ii', 8, 80877103)


class ProbeResult:
    __slots__ = ('ok', 'seconds', 'error')

    def __init__(self, ok, seconds, error=None):
        self.ok = ok
        self.seconds = seconds
        self.error = error

    def __repr__(self):
        return 'ProbeResult(ok=%s, %.3fs, %s)' % (self.ok, self.seconds,
                                                  self.error)


def engine_port(manager):
    try:
        return int(CONF.get(manager).tcp_ports[0])
    except (KeyError, IndexError, ValueError, TypeError):
        return {'postgresql': 5432}.get(manager, 3306)


def probe(manager, host, port, timeout=None):
    """A ProbeResult for the engine at ``host:port``."""
    timeout = timeout or CONF.failover_probe_timeout
    started = time.monotonic()
    try:
        if manager == 'postgresql':
            _probe_postgresql(host, port, timeout)
        else:
            _probe_mariadb(host, port, timeout)
    except (OSError, pymysql.err.MySQLError, ProbeFailed) as error:
        return ProbeResult(False, time.monotonic() - started,
                           '%s: %s' % (type(error).__name__, error))
    return ProbeResult(True, time.monotonic() - started)


class ProbeFailed(Exception):
    pass


def _probe_mariadb(host, port, timeout):
    try:
        connection = pymysql.connect(
            host=host, port=port, user=PROBE_USER,
            password=CONF.engine_probe_password or 'none',
            connect_timeout=timeout, read_timeout=timeout,
            write_timeout=timeout)
    except pymysql.err.OperationalError as error:
        # Codes below 2000 are the server's own (a refused login: 1045,
        # 1698...); 2000 and up are the client's (no connection, lost).
        if error.args and isinstance(error.args[0], int) and \
                error.args[0] < CLIENT_ERRORS:
            return
        raise
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1')
            cursor.fetchone()
    finally:
        connection.close()


def _probe_postgresql(host, port, timeout):
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(PG_SSL_REQUEST)
        answer = _read(sock, 1, deadline)
        if answer not in (b'N', b'S'):
            raise ProbeFailed('unexpected answer %r to an SSL request'
                              % answer)
        if answer == b'S':
            # We do not speak TLS: the greeting was the answer.
            return
        params = b'user\x00%s\x00database\x00postgres\x00\x00' % \
            PROBE_USER.encode()
        sock.sendall(struct.pack('!ii', 8 + len(params), 196608) + params)
        kind = _read(sock, 1, deadline)
        # 'R': an authentication request; 'E': a refusal. Both come from
        # a backend that read its configuration.
        if kind not in (b'R', b'E'):
            raise ProbeFailed('unexpected answer %r to a startup packet'
                              % kind)


def _read(sock, count, deadline):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProbeFailed('timed out')
    sock.settimeout(remaining)
    data = sock.recv(count)
    if not data:
        raise ProbeFailed('connection closed by the server')
    return data
