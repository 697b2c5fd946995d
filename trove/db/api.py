"""Sessions on the control database through oslo.db's enginefacade.

Usage::

    with db_api.reader(context) as session:
        ...
    with db_api.writer(context) as session:   # commits on exit
        ...

The connection comes from ``[database] connection``; ``configure`` points the
facade elsewhere (tests, trove-manage --connection).
"""

import threading

from oslo_db.sqlalchemy import enginefacade
import orjson
import sqlalchemy as sa
from sqlalchemy import event

_lock = threading.Lock()
_facade = enginefacade.transaction_context()


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
    # engines only).
    connection.info.pop('in_transaction', None)


def configure(connection=None, **options):
    """Use a new facade, on ``connection`` or on the configured database."""
    global _facade
    with _lock:
        old = _facade
        _facade = enginefacade.transaction_context()
        if connection is not None:
            options['connection'] = connection
        if options:
            _facade.configure(**options)
    _dispose(old)


def _dispose(facade):
    factory = facade._factory
    if factory._started:
        for engine in (factory._writer_engine, factory._reader_engine):
            if engine is not None:
                engine.dispose()


def reader(context):
    return _facade.reader.using(context)


def writer(context):
    return _facade.writer.using(context)


def read_rows(context, statement, parameters):
    """The rows of a Core SELECT as dicts (column label -> value), read
    on a reader connection without the ORM's Session: for list pages,
    where building ORM entities costs more than the query."""
    with _facade.reader.connection.using(context) as connection:
        result = connection.execute(statement, parameters)
        # zip over plain rows: a mapping view per row costs a third more.
        keys = tuple(result.keys())
        return [dict(zip(keys, row)) for row in result]


def read_documents(context, statement, parameters):
    """The JSON objects of a SELECT whose only column is an
    ``expressions.row_document``, decoded, in row order."""
    with _facade.reader.connection.using(context) as connection:
        return [_decoded(document) for (document,) in
                connection.execute(statement, parameters)]


def _decoded(document):
    # psycopg decodes json columns itself; the other drivers return text.
    if isinstance(document, dict):
        return document
    return orjson.loads(document)


def get_engine():
    return _facade.writer.get_engine()


def dispose():
    """Close every pooled connection (before forking, at shutdown)."""
    _dispose(_facade)
