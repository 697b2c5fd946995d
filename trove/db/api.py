"""Sessions on the control database through oslo.db's enginefacade.

Usage::

    with db_api.reader(context) as session:
        ...
    with db_api.writer(context) as session:   # commits on exit
        ...

The connection comes from ``[database] connection``; ``configure`` points the
facade elsewhere (tests, trove-manage --connection).
"""

import ipaddress
import threading

from oslo_db import exception as db_exception
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import exc_filters
import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import orm

from trove.common import context as trove_context
from trove.common import sealed_messages
from trove.conf import CONF

# The request context is the unit of a transaction (enginefacade); marked
# here rather than where it is defined, so that processes without the
# control DB (the guest agent) never import oslo.db or SQLAlchemy.
enginefacade.transaction_context_provider(trove_context.TroveContext)

_lock = threading.Lock()
_facade = enginefacade.transaction_context()
# The engine of list pages (see _page_engine), made on first use;
# _NO_PAGE_ENGINE where pages go through the facade.
_NO_PAGE_ENGINE = False
_pages = None


def _is_sqlite(dbapi_connection):
    return type(dbapi_connection).__module__.startswith(('sqlite3',
                                                         'pysqlite'))


@event.listens_for(sa.engine.Engine, 'connect')
def _tune_sqlite(dbapi_connection, connection_record):
    """SQLite shared by several processes: WAL and waiting for locks."""
    if not _is_sqlite(dbapi_connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.close()
    # Transactions are begun below, not by the driver.
    dbapi_connection.isolation_level = None


def _is_mysql(dbapi_connection):
    return type(dbapi_connection).__module__.startswith(('pymysql',
                                                         'MySQLdb'))


@event.listens_for(sa.engine.Engine, 'connect')
def _read_committed_on_mysql(dbapi_connection, connection_record):
    """READ COMMITTED on MySQL/MariaDB, as PostgreSQL runs by default.

    Under InnoDB's REPEATABLE READ, a locking read of a row that does not
    exist yet (``work_claims.submit`` for a new instance) locks the gap;
    two such transactions then insert into the gap they both lock and
    InnoDB kills one as a deadlock victim: a concurrent create answered
    500. READ COMMITTED takes no gap locks for reads, and the code is
    written for PostgreSQL's READ COMMITTED anyway.
    """
    if not _is_mysql(dbapi_connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED')
    cursor.close()


@event.listens_for(sa.engine.Engine, 'do_connect')
def _no_tls_on_this_host(dialect, connection_record, cargs, cparams):
    """No TLS to a MySQL control DB on this host, unless asked for.

    PyMySQL tries TLS whenever no ``ssl*`` argument is given, and builds
    a TLS context (reading the system's CA certificates, about 25 ms of
    CPU) for every new connection: unverified encryption that protects
    nothing over a unix socket or the loopback. A database elsewhere
    keeps PyMySQL's default, and any ``ssl*`` URL parameter wins.
    """
    if dialect.driver != 'pymysql' or any(
            name.startswith('ssl') for name in cparams):
        return
    if cparams.get('unix_socket') or _on_this_host(cparams.get('host')):
        cparams['ssl_disabled'] = True


def _on_this_host(host):
    if host in (None, '', 'localhost'):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@event.listens_for(sa.engine.Engine, 'begin')
def _begin_sqlite_immediate(connection):
    """Take SQLite's write lock when a transaction starts.

    A transaction that reads and then writes cannot upgrade its lock if
    another process wrote meanwhile; SQLite then fails at once with
    "database is locked" instead of waiting. Starting every transaction
    IMMEDIATE makes them queue on busy_timeout instead.
    """
    if (connection.dialect.name == 'sqlite'
            and 'in_transaction' not in connection.info):
        connection.exec_driver_sql('BEGIN IMMEDIATE')
        # oslo.db's own listener (engines of the facade) would emit a
        # second BEGIN; this marker tells it the transaction is begun.
        connection.info['in_transaction'] = True


@event.listens_for(sa.engine.Engine, 'commit')
@event.listens_for(sa.engine.Engine, 'rollback')
def _end_sqlite_transaction(connection):
    # The marker lives with the pooled DBAPI connection: clear it so the
    # next transaction on it begins again (oslo.db does this for its own
    # engines only). An invalidated connection has no info to clear
    # (reading it would try to reconnect).
    if connection.dialect.name == 'sqlite' and not connection.invalidated:
        connection.info.pop('in_transaction', None)


def configure(connection=None, **options):
    """Use a new facade, on ``connection`` or on the configured database."""
    global _facade, _pages
    with _lock:
        old, old_pages = _facade, _pages
        _facade, _pages = enginefacade.transaction_context(), None
        if connection is not None:
            options['connection'] = connection
        if options:
            _facade.configure(**options)
    _dispose(old, old_pages)


def _dispose(facade, pages):
    factory = facade._factory
    if factory._started:
        for engine in (factory._writer_engine, factory._reader_engine):
            if engine is not None:
                engine.dispose()
    if pages:
        pages.dispose()


def reader(context):
    return _facade.reader.using(context)


def writer(context):
    return _facade.writer.using(context)


def read_rows(context, statement, parameters):
    """The rows of a Core SELECT as dicts (column label -> value): for
    list pages, where building ORM entities costs more than the query."""
    def rows(connection):
        result = connection.execute(statement, parameters)
        # zip over plain rows: a mapping view per row costs a third more.
        keys = tuple(result.keys())
        return [dict(zip(keys, row)) for row in result]
    return _read_page(context, rows)


def read_documents(context, statement, parameters):
    """The JSON objects of a SELECT whose only column is an
    ``expressions.row_document``, decoded, in row order."""
    return _read_page(context, lambda connection: [
        _decoded(document) for (document,) in
        connection.execute(statement, parameters)])


def read_objects(context, find):
    """``find(session)`` with an ORM session on one connection of the
    page engine: for a load that is ONE SELECT (an instance shown or
    checked before an action), in one round trip as a list page is, or
    whose statements need no common snapshot (the datastore catalogue and
    its eagerly loaded versions). The objects come back detached, as
    from a ``reader`` session once it closes, so everything the caller
    reads must be loaded eagerly."""
    def read(connection):
        with orm.Session(bind=connection) as session:
            return find(session)
    return _read_page(context, read)


def _read_page(context, read):
    """``read(connection)`` on a connection of the page engine; once
    more on a new connection if the pooled one was found dead (the
    engine does not ping before use)."""
    engine = _page_engine()
    if engine is None:
        with _facade.reader.connection.using(context) as connection:
            return read(connection)
    for attempt in range(2):
        try:
            with engine.connect() as connection:
                return read(connection)
        except db_exception.DBConnectionError:
            # The pool has dropped the connections it had before this
            # one; a second failure is the server's, not a stale socket.
            if attempt:
                raise


def _page_engine():
    """An engine for single-statement reads, or None on SQLite.

    Through the facade a list page costs four round trips to the
    database: a ping when the connection leaves the pool, the SELECT,
    the facade's ROLLBACK and the pool's own ROLLBACK on return. A page
    is one SELECT, consistent by itself, so this engine runs in
    autocommit mode (nothing to roll back) and does not ping (a dead
    connection is retried once instead): one round trip. SQLite, one
    file with no server, keeps the facade's path and its locking.
    """
    global _pages
    if _pages is None:
        with _lock:
            if _pages is None:
                url = _facade.reader.get_engine().url
                _pages = (_NO_PAGE_ENGINE if url.get_backend_name() ==
                          'sqlite' else _new_page_engine(url))
    return _pages or None


def _new_page_engine(url):
    options = {
        'isolation_level': 'AUTOCOMMIT',
        # SQLAlchemy would still send ROLLBACK when a connection closes.
        'skip_autocommit_rollback': True,
        'pool_pre_ping': False,
        'pool_reset_on_return': None,
        'pool_recycle': CONF.database.connection_recycle_time,
    }
    # The pool limits oslo.db applies to its engines, where set.
    for option, name in (('pool_size', 'max_pool_size'),
                         ('max_overflow', 'max_overflow'),
                         ('pool_timeout', 'pool_timeout')):
        if getattr(CONF.database, name) is not None:
            options[option] = getattr(CONF.database, name)
    backend = url.get_backend_name()
    # The character sets oslo.db gives its own engines.
    if backend == 'mysql' and 'charset' not in url.query:
        options['connect_args'] = {'charset': 'utf8'}
    elif backend == 'postgresql' and 'client_encoding' not in url.query:
        options['client_encoding'] = 'utf8'
    engine = sa.create_engine(url, **options)
    # Errors are oslo.db's, as on the facade's engines (DBConnectionError).
    exc_filters.register_engine(engine)
    return engine


def _decoded(document):
    # psycopg decodes json columns itself; the other drivers return text.
    if isinstance(document, dict):
        return document
    return orjson.loads(document)


def get_engine():
    return _facade.writer.get_engine()


def dispose():
    """Close every pooled connection (before forking, at shutdown)."""
    _dispose(_facade, _pages)


def _encrypted_instance_key(instance_id):
    """(the instance row exists, its encrypted message key)."""
    from trove.db import models
    with reader(trove_context.get_admin_context()) as session:
        row = session.get(models.Instance, instance_id)
        return row is not None, row.encrypted_key if row is not None else None


# Processes with the control DB seal their RPC to keyed guests.
sealed_messages.set_key_loader(_encrypted_instance_key)
