"""SQL expressions that let the database do per-row work of list pages.

PyMySQL turns every DATETIME it reads into a ``datetime`` in Python (a
regular expression and a constructor per value), and the views then turn
it back into text: on a page of 100 backups that round trip is a tenth of
the request. A column the page only shows is therefore selected as the
API's text, formatted by the database.
"""

import sqlalchemy as sa
from sqlalchemy.ext import compiler
from sqlalchemy.sql import functions

_MYSQL_FORMAT = '%Y-%m-%dT%H:%i:%s'
_POSTGRESQL_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS'
_SQLITE_FORMAT = '%Y-%m-%dT%H:%M:%S'


def constant(text):
    """A string constant written into the statement itself: a statement
    built once per shape then carries no bound value for it, and an
    ``IN`` of constants is not re-rendered at every execution (as an
    "expanding" bound list is). Only for the code's own identifiers and
    states, never for input."""
    if "'" in text or '%' in text:
        raise ValueError('not a plain constant: %r' % text)
    return sa.literal_column("'%s'" % text)


def iso_seconds(column):
    """``column`` (a naive DATETIME) as the API shows it: ISO 8601 to the
    second (truncated), no zone, e.g. ``2024-01-31T12:05:09``; NULL stays
    NULL. The same text as ``trove.common.views.isotime`` of the value."""
    return IsoSeconds(column)


class IsoSeconds(functions.FunctionElement):
    type = sa.String()
    inherit_cache = True
    name = 'iso_seconds'


def _column(element):
    (column,) = element.clauses.clauses
    return column


@compiler.compiles(IsoSeconds)
def _compile_sqlite(element, sql_compiler, **kw):
    # SQLite stores SQLAlchemy's DateTime as text its strftime reads.
    return sql_compiler.process(
        sa.func.strftime(_SQLITE_FORMAT, _column(element)), **kw)


@compiler.compiles(IsoSeconds, 'mysql')
@compiler.compiles(IsoSeconds, 'mariadb')
def _compile_mysql(element, sql_compiler, **kw):
    return sql_compiler.process(
        sa.func.date_format(_column(element), _MYSQL_FORMAT), **kw)


@compiler.compiles(IsoSeconds, 'postgresql')
def _compile_postgresql(element, sql_compiler, **kw):
    return sql_compiler.process(
        sa.func.to_char(_column(element), _POSTGRESQL_FORMAT), **kw)


def row_document(**columns):
    """One JSON object per row holding ``columns`` (name -> expression),
    built by the database.

    PyMySQL parses every column of every row in Python, about a
    microsecond each. As one JSON text per row the driver parses one
    column and orjson (C) the rest, but MariaDB spends about 6 us per row
    building it: worth it for wide rows (an instance page reads up to 28
    fields: 6-8% less CPU, API and database together), not for narrow
    ones (backups: a wash).
    Values keep their JSON types (numbers, strings, null); times should
    be ``iso_seconds`` text, booleans 1/0 (a bare EXISTS comes out of
    MariaDB's JSON_OBJECT as the string "0"). Read the rows with
    ``trove.db.api.read_documents``.
    """
    arguments = []
    for name, expression in columns.items():
        arguments += [constant(name), expression]
    return RowDocument(*arguments)


class RowDocument(functions.FunctionElement):
    inherit_cache = True
    name = 'row_document'


@compiler.compiles(RowDocument)
def _compile_document(element, sql_compiler, **kw):
    # SQLite, MariaDB and MySQL: JSON_OBJECT(key, value, ...).
    return 'json_object(%s)' % sql_compiler.process(element.clauses, **kw)


@compiler.compiles(RowDocument, 'postgresql')
def _compile_document_postgresql(element, sql_compiler, **kw):
    return 'json_build_object(%s)' % sql_compiler.process(element.clauses,
                                                          **kw)


def joined_text(column, *order_by):
    """The values of ``column`` over a group, joined by commas in the
    order of ``order_by`` (NULL for none): an aggregate, for a correlated
    subquery's one value per row (the replicas of an instance on its list
    page). SQLite before 3.44 cannot order an aggregate: it joins them in
    the order it reads them."""
    return JoinedText(column, *order_by)


class JoinedText(functions.FunctionElement):
    type = sa.String()
    inherit_cache = True
    name = 'joined_text'


def _joined_parts(element, sql_compiler, **kw):
    column, *order = element.clauses.clauses
    rendered = [sql_compiler.process(part, **kw) for part in order]
    return sql_compiler.process(column, **kw), ', '.join(rendered)


@compiler.compiles(JoinedText)
def _compile_joined(element, sql_compiler, **kw):
    column, _order = _joined_parts(element, sql_compiler, **kw)
    return 'group_concat(%s)' % column


@compiler.compiles(JoinedText, 'mysql')
@compiler.compiles(JoinedText, 'mariadb')
def _compile_joined_mysql(element, sql_compiler, **kw):
    column, order = _joined_parts(element, sql_compiler, **kw)
    return "group_concat(%s%s SEPARATOR ',')" % (
        column, ' ORDER BY ' + order if order else '')


@compiler.compiles(JoinedText, 'postgresql')
def _compile_joined_postgresql(element, sql_compiler, **kw):
    column, order = _joined_parts(element, sql_compiler, **kw)
    return "string_agg(%s, ','%s)" % (column,
                                      ' ORDER BY ' + order if order else '')


def reading_in_index_order(query, table, index_name):
    """``query`` told to read ``table`` through ``index_name`` on
    MySQL/MariaDB (other databases ignore the hint).

    A page of a long list must start at its marker in the index that
    serves the list's filter and order, and stop after a page of rows.
    Given a marker condition, MariaDB's optimizer often prefers the
    index's equality prefix and filters the rows of every earlier page
    instead (measured: 100x slower at page 1,000); the hint keeps the
    range read.
    """
    return query.with_hint(table, 'FORCE INDEX (%s)' % index_name, 'mysql')


def after_key(sort_column, id_column, sort_value, id_value):
    """Rows after (sort_value, id_value) in (sort desc, id desc) order.

    The first condition alone is a range of an index on the sort column,
    so the read starts at the key; the second settles ties.
    """
    return sa.and_(sort_column <= sort_value,
                   sa.or_(sort_column < sort_value, id_column < id_value))
