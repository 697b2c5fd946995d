"""SQL text composed safely, for statements that cannot take parameters.

The same small interface as psycopg.sql (SQL, Identifier, Literal and
``SQL.format``) for the agent's own client (``wire``): DDL such as
``CREATE ROLE ... PASSWORD`` or ``CREATE DATABASE`` takes no server-side
parameter, so names are quoted as identifiers and values as literals
here, and nothing else is ever pasted into a statement.
"""


class Composable:

    def as_string(self, context=None):
        raise NotImplementedError

    def __add__(self, other):
        if not isinstance(other, Composable):
            return NotImplemented
        return Composed(self, other)

    def __eq__(self, other):
        return (isinstance(other, Composable)
                and self.as_string() == other.as_string())

    def __hash__(self):
        return hash(self.as_string())

    def __repr__(self):
        return '%s(%r)' % (type(self).__name__, self.as_string())


class Composed(Composable):

    def __init__(self, *parts):
        self.parts = parts

    def as_string(self, context=None):
        return ''.join(part.as_string() for part in self.parts)


class SQL(Composable):
    """Trusted SQL text; ``{}`` placeholders take other Composables."""

    def __init__(self, text):
        if not isinstance(text, str):
            raise TypeError('SQL text must be a str')
        self.text = text

    def as_string(self, context=None):
        return self.text

    def format(self, *args):
        for arg in args:
            if not isinstance(arg, Composable):
                raise TypeError('SQL.format takes SQL, Identifier or '
                                'Literal, not %s' % type(arg).__name__)
        return SQL(self.text.format(*[arg.as_string() for arg in args]))


class Identifier(Composable):
    """A name, double-quoted with its quotes doubled."""

    def __init__(self, *names):
        if not names or not all(isinstance(n, str) for n in names):
            raise TypeError('an identifier is one or more str')
        self.names = names

    def as_string(self, context=None):
        return '.'.join(_quote_identifier(name) for name in self.names)


class Literal(Composable):
    """A value as an SQL constant: str, int, bool or None."""

    def __init__(self, value):
        self.value = value

    def as_string(self, context=None):
        value = self.value
        if value is None:
            return 'NULL'
        if isinstance(value, bool):
            return 'true' if value else 'false'
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str):
            return _quote_literal(value)
        raise TypeError('cannot quote a %s as an SQL literal'
                        % type(value).__name__)


def _no_nul(text):
    if '\0' in text:
        # PostgreSQL text cannot hold NUL, and the protocol would cut
        # the statement there.
        raise ValueError('PostgreSQL strings cannot contain NUL characters')
    return text


def _quote_identifier(name):
    return '"%s"' % _no_nul(name).replace('"', '""')


def _quote_literal(text):
    text = _no_nul(text).replace("'", "''")
    if '\\' in text:
        # The escape-string form means the same whatever
        # standard_conforming_strings is set to.
        return " E'%s'" % text.replace('\\', '\\\\')
    return "'%s'" % text
