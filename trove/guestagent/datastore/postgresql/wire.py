"""The agent's PostgreSQL client: protocol 3.0 over the engine's socket.

Why not psycopg (or pg8000): either costs every PostgreSQL agent 9-10 MB
of memory (issue 26: an agent under 40 MB RSS, one agent per instance),
while what the agent asks of its own engine is small: log in as os_admin
(or the check role) over the unix socket, run a statement, read a few
rows of text. This module does that with the standard library only:

* login: trust, cleartext, MD5 and SCRAM-SHA-256 (without channel
  binding: the agent never uses TLS to its own engine's socket; the
  password is used as is, which SASLprep leaves unchanged for the
  printable ASCII passwords the agent generates);
* statements without parameters go as one simple Query; with parameters
  (``%s`` placeholders, as psycopg's) as Parse/Bind/Execute with the
  values sent separately in text form and their types left for the
  server to infer, so no value is ever spliced into SQL text;
* results: the common scalar types become Python values (bool, int,
  float, Decimal), everything else is the server's text; NULL is None;
* errors: ``Error`` carries the SQLSTATE and the server's primary
  message (``diag.message_primary``), as psycopg's do, and
  ``OperationalError`` is a connection that could not be made or broke.

The connection is not thread-safe (the agent opens one per operation).
Statements compose identifiers and literals with
``trove.guestagent.datastore.postgresql.sql``.
"""

import base64
import contextlib
import hashlib
import hmac
import os
import socket
import struct

PROTOCOL_VERSION = 196608  # 3.0
_INT32 = struct.Struct('!i')
_HEADER = struct.Struct('!ci')

# Type OIDs decoded into Python values; every other type stays text.
_BOOL, _INT8, _INT2, _INT4, _OID = 16, 20, 21, 23, 26
_FLOAT4, _FLOAT8, _NUMERIC = 700, 701, 1700
_INTEGERS = frozenset((_INT8, _INT2, _INT4, _OID))


class Error(Exception):
    """The server refused something, or the connection failed."""

    def __init__(self, message, sqlstate=None, fields=None):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.diag = _Diagnostics(fields or {})


class OperationalError(Error):
    """No usable connection: refused, timed out, closed or garbled."""


class _Diagnostics:
    """The ErrorResponse fields under psycopg's names."""

    def __init__(self, fields):
        self.message_primary = fields.get('M')
        self.message_detail = fields.get('D')
        self.message_hint = fields.get('H')
        self.severity = fields.get('V') or fields.get('S')


def _server_error(fields):
    message = fields.get('M', 'unknown error')
    if fields.get('D'):
        message += '\nDETAIL:  ' + fields['D']
    if fields.get('H'):
        message += '\nHINT:  ' + fields['H']
    return Error(message, fields.get('C'), fields)


def _error_fields(body):
    fields = {}
    for item in body.split(b'\0'):
        if item:
            fields[chr(item[0])] = item[1:].decode('utf-8', 'replace')
    return fields


def _cstring(text):
    return text.encode('utf-8') + b'\0'


def connect(host, port, user, password='', dbname='postgres',
            autocommit=True, connect_timeout=5, options=None):
    """A logged-in connection; ``host`` is a socket directory (starting
    with "/") or an address, as libpq reads it."""
    connection = Connection(autocommit)
    try:
        connection.open(host, port, connect_timeout)
        connection.login(user, password or '', dbname, options)
    except BaseException:
        connection.close()
        raise
    return connection


class Connection:

    def __init__(self, autocommit=True):
        self.autocommit = autocommit
        self.parameters = {}
        self._sock = None
        self._buffer = b''
        self._status = b'I'   # ReadyForQuery: Idle, in Transaction, Error
        self._scram = None

    # The socket ---------------------------------------------------------------
    def open(self, host, port, timeout):
        try:
            if host.startswith('/'):
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                address = os.path.join(host, '.s.PGSQL.%d' % int(port))
            else:
                self._sock = socket.socket(
                    socket.AF_INET6 if ':' in host else socket.AF_INET,
                    socket.SOCK_STREAM)
                address = (host, int(port))
            self._sock.settimeout(timeout)
            self._sock.connect(address)
        except OSError as error:
            raise OperationalError(
                'could not connect to the server at %s port %s: %s'
                % (host, port, error)) from error

    def _send(self, data):
        try:
            self._sock.sendall(data)
        except OSError as error:
            raise self._broken(error) from error

    def _broken(self, error):
        self.close()
        return OperationalError('the connection to the server was lost: %s'
                                % error)

    def _read(self, count):
        while len(self._buffer) < count:
            try:
                chunk = self._sock.recv(max(65536, count - len(self._buffer)))
            except OSError as error:
                raise self._broken(error) from error
            if not chunk:
                raise self._broken('closed by the server')
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def _message(self):
        """The next backend message as (type byte, body); notices and
        parameter changes are taken in passing."""
        while True:
            kind, length = _HEADER.unpack(self._read(5))
            body = self._read(length - 4)
            if kind == b'N':      # NoticeResponse
                continue
            if kind == b'S':      # ParameterStatus
                name, value = body.split(b'\0')[:2]
                self.parameters[name.decode()] = value.decode()
                continue
            return kind, body

    @staticmethod
    def _frame(kind, body=b''):
        return kind + _INT32.pack(len(body) + 4) + body

    def close(self):
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.sendall(self._frame(b'X'))
            self._sock.close()
            self._sock = None

    @property
    def closed(self):
        return self._sock is None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        # As psycopg: commit a transaction the block left open unless it
        # raised, then close.
        try:
            if (not self.closed and not self.autocommit
                    and self._status != b'I'):
                if kind is None and self._status == b'T':
                    self.commit()
                else:
                    self.rollback()
        finally:
            self.close()

    # Login -------------------------------------------------------------------
    def login(self, user, password, dbname, options=None):
        pairs = [('user', user), ('database', dbname),
                 ('client_encoding', 'UTF8'),
                 ('application_name', 'trove-guestagent')]
        if options:
            pairs.append(('options', options))
        body = _INT32.pack(PROTOCOL_VERSION) + b''.join(
            _cstring(key) + _cstring(value) for key, value in pairs) + b'\0'
        self._send(_INT32.pack(len(body) + 4) + body)
        while True:
            kind, body = self._message()
            if kind == b'R':
                self._authenticate(body, user, password)
            elif kind == b'E':
                error = _server_error(_error_fields(body))
                self.close()
                raise OperationalError(str(error), error.sqlstate,
                                       _error_fields(body))
            elif kind == b'Z':
                self._status = body[:1]
                self._sock.settimeout(None)
                return
            # BackendKeyData ('K') and anything else before ready: ignored.

    def _authenticate(self, body, user, password):
        (code,) = _INT32.unpack(body[:4])
        if code == 0:                      # AuthenticationOk
            return
        if code == 3:                      # CleartextPassword
            self._send(self._frame(b'p', _cstring(password)))
        elif code == 5:                    # MD5Password
            inner = hashlib.md5((password + user).encode()).hexdigest()
            outer = hashlib.md5(inner.encode() + body[4:8]).hexdigest()
            self._send(self._frame(b'p', _cstring('md5' + outer)))
        elif code == 10:                   # SASL: the offered mechanisms
            mechanisms = body[4:].split(b'\0')
            if b'SCRAM-SHA-256' not in mechanisms:
                raise OperationalError('the server offers no SASL mechanism '
                                       'this client knows: %r' % mechanisms)
            self._scram = _Scram(password)
            first = self._scram.client_first().encode()
            self._send(self._frame(
                b'p', _cstring('SCRAM-SHA-256') + _INT32.pack(len(first))
                + first))
        elif code == 11:                   # SASLContinue
            final = self._scram.client_final(body[4:].decode())
            self._send(self._frame(b'p', final.encode()))
        elif code == 12:                   # SASLFinal
            if not self._scram.verify_server(body[4:].decode()):
                raise OperationalError('the server did not prove it knows '
                                       'the password (SCRAM)')
        else:
            raise OperationalError('unsupported authentication request %d'
                                   % code)

    # Statements --------------------------------------------------------------
    def cursor(self):
        return Cursor(self)

    def commit(self):
        self._simple('COMMIT')

    def rollback(self):
        self._simple('ROLLBACK')

    def _simple(self, text):
        self._send(self._frame(b'Q', _cstring(text)))
        return self._results()

    def _begin_if_needed(self):
        if not self.autocommit and self._status == b'I':
            self._simple('BEGIN')

    def execute(self, text, params=None):
        """(column names or None, rows) of the statement's last result."""
        if self.closed:
            raise OperationalError('the connection is closed')
        self._begin_if_needed()
        if params is None:
            return self._simple(text)
        values = b''.join(_encode_value(value) for value in params)
        self._send(
            self._frame(b'P', b'\0' + _cstring(_numbered(text))
                        + struct.pack('!h', 0))
            + self._frame(b'B', b'\0\0' + struct.pack('!h', 0)
                          + struct.pack('!h', len(params)) + values
                          + struct.pack('!h', 0))
            + self._frame(b'D', b'P\0')
            + self._frame(b'E', b'\0' + _INT32.pack(0))
            + self._frame(b'S'))
        return self._results()

    def _results(self):
        """Read until ReadyForQuery; the last result set wins (as a
        simple Query of several statements in psycopg)."""
        columns, rows, error = None, [], None
        types = ()
        while True:
            kind, body = self._message()
            if kind == b'T':                 # RowDescription
                columns, types, rows = _row_description(body)
            elif kind == b'D':               # DataRow
                rows.append(_data_row(body, types))
            elif kind == b'E':
                error = _server_error(_error_fields(body))
            elif kind == b'Z':
                self._status = body[:1]
                if error is not None:
                    raise error
                return columns, rows
            elif kind in (b'C', b'I', b'1', b'2', b'n'):
                # CommandComplete, EmptyQuery, ParseComplete,
                # BindComplete, NoData.
                if kind == b'n':
                    columns, rows = None, []
            elif kind in (b'G', b'H'):
                # COPY would leave the stream mid-protocol: give it up.
                self.close()
                raise OperationalError('COPY is not supported by this client')


class Cursor:
    """The slice of DB-API the agent uses: execute, fetchone, fetchall,
    description."""

    def __init__(self, connection):
        self.connection = connection
        self.description = None
        self._rows = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._rows = []

    def execute(self, query, params=None):
        text = query.as_string() if hasattr(query, 'as_string') else query
        if params is not None:
            params = tuple(params)
        columns, rows = self.connection.execute(text, params)
        self.description = ([(name,) for name in columns]
                            if columns is not None else None)
        self._rows = rows

    def fetchone(self):
        return self._rows.pop(0) if self._rows else None

    def fetchall(self):
        rows, self._rows = self._rows, []
        return rows


# Encoding and decoding -------------------------------------------------------
def _numbered(text):
    """psycopg's placeholders as the server's: %s -> $1, $2...; %% -> %."""
    parts, number, index = [], 0, 0
    while True:
        found = text.find('%', index)
        if found < 0:
            parts.append(text[index:])
            return ''.join(parts)
        parts.append(text[index:found])
        follower = text[found + 1:found + 2]
        if follower == 's':
            number += 1
            parts.append('$%d' % number)
        elif follower == '%':
            parts.append('%')
        else:
            raise Error('only %s placeholders are supported: %r' % ('%s',
                                                                     text))
        index = found + 2


def _encode_value(value):
    if value is None:
        return _INT32.pack(-1)
    if isinstance(value, bool):
        data = b't' if value else b'f'
    else:
        data = str(value).encode('utf-8')
    return _INT32.pack(len(data)) + data


def _row_description(body):
    (count,) = struct.unpack('!h', body[:2])
    offset, names, types = 2, [], []
    for _ in range(count):
        end = body.index(b'\0', offset)
        names.append(body[offset:end].decode('utf-8'))
        # table oid (4), column number (2), type oid (4), size (2),
        # modifier (4), format (2).
        (type_oid,) = _INT32.unpack(body[end + 7:end + 11])
        types.append(type_oid)
        offset = end + 19
    return names, types, []


def _data_row(body, types):
    (count,) = struct.unpack('!h', body[:2])
    offset, row = 2, []
    for index in range(count):
        (length,) = _INT32.unpack(body[offset:offset + 4])
        offset += 4
        if length < 0:
            row.append(None)
            continue
        text = body[offset:offset + length].decode('utf-8')
        offset += length
        row.append(_decode(text, types[index] if index < len(types) else 0))
    return tuple(row)


def _decode(text, type_oid):
    if type_oid == _BOOL:
        return text == 't'
    if type_oid in _INTEGERS:
        return int(text)
    if type_oid in (_FLOAT4, _FLOAT8):
        return float(text)
    if type_oid == _NUMERIC:
        import decimal
        return decimal.Decimal(text)
    return text


# SCRAM-SHA-256 (RFC 5802 / RFC 7677), no channel binding ---------------------
class _Scram:

    GS2_HEADER = 'n,,'

    def __init__(self, password):
        self.password = password.encode('utf-8')
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.client_first_bare = 'n=,r=' + self.nonce
        self.auth_message = None
        self.salted = None

    def client_first(self):
        return self.GS2_HEADER + self.client_first_bare

    def client_final(self, server_first):
        fields = dict(item.split('=', 1) for item in server_first.split(','))
        if not fields['r'].startswith(self.nonce):
            raise OperationalError('the server changed the SCRAM nonce')
        self.salted = hashlib.pbkdf2_hmac(
            'sha256', self.password, base64.b64decode(fields['s']),
            int(fields['i']))
        client_key = _hmac(self.salted, b'Client Key')
        without_proof = 'c=%s,r=%s' % (
            base64.b64encode(self.GS2_HEADER.encode()).decode(), fields['r'])
        self.auth_message = ','.join((self.client_first_bare, server_first,
                                      without_proof)).encode()
        signature = _hmac(hashlib.sha256(client_key).digest(),
                          self.auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        return without_proof + ',p=' + base64.b64encode(proof).decode()

    def verify_server(self, server_final):
        fields = dict(item.split('=', 1) for item in server_final.split(','))
        expected = _hmac(_hmac(self.salted, b'Server Key'), self.auth_message)
        return hmac.compare_digest(base64.b64decode(fields.get('v', '')),
                                   expected)


def _hmac(key, message):
    return hmac.new(key, message, hashlib.sha256).digest()
