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
import sqlalchemy as sa
from sqlalchemy import event

_lock = threading.Lock()
_facade = enginefacade.transaction_context()


@event.listens_for(sa.engine.Engine, 'connect')
def _tune_sqlite(dbapi_connection, connection_record):
    """SQLite shared by several processes: WAL and waiting for locks."""
    module = type(dbapi_connection).__module__
    if not module.startswith(('sqlite3', 'pysqlite')):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.close()


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


def get_engine():
    return _facade.writer.get_engine()


def dispose():
    """Close every pooled connection (before forking, at shutdown)."""
    _dispose(_facade)
