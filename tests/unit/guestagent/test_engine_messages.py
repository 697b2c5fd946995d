"""The lines of engine output that become a user's fault message."""

from trove.guestagent.datastore.mysql_common import app as mysql_app
from trove.guestagent.datastore.postgresql import app as pg_app

MARIADB_LOG = """\
2026-11-22 20:53:55 0 [Note] InnoDB: Loading buffer pool(s)
2026-11-22 20:53:55 0 [Note] Plugin 'FEEDBACK' is disabled.
2026-11-22 20:53:55 0 [ERROR] /usr/sbin/mariadbd: unknown variable 'bogus=1'
2026-11-22 20:53:55 0 [ERROR] Aborting
"""

MARIADB_INNODB_LOG = """\
2026-11-22 21:03:00 0 [ERROR] InnoDB: Cannot map innodb_buffer_pool_size_max=1000000000m
2026-11-22 21:03:00 0 [ERROR] Plugin 'InnoDB' registration as a STORAGE ENGINE failed.
2026-11-22 21:03:00 0 [ERROR] Unknown/unsupported storage engine: InnoDB
2026-11-22 21:03:00 0 [ERROR] Aborting
"""

MYSQL8_LOG = ("2026-01-01T00:00:00.000000Z 0 [ERROR] [MY-000067] [Server] "
              "unknown variable 'bogus=1'.\n")

POSTGRES_LOG = """\
2026-11-22 20:54:10.555 GMT [11798] LOG:  starting PostgreSQL 15.20
2026-11-22 20:54:10.555 GMT [11798] LOG:  unrecognized configuration \
parameter "bogus" in file "/s/etc/base.conf" line 2
2026-11-22 20:54:10.555 GMT [11798] FATAL:  configuration file "/s/etc/base.conf" contains errors
"""


def test_mariadb_error_lines():
    assert mysql_app.mysql_error_lines(MARIADB_LOG) == [
        "unknown variable 'bogus=1'"]


def test_mariadb_innodb_cause_comes_first():
    lines = mysql_app.mysql_error_lines(MARIADB_INNODB_LOG)
    assert lines[0] == ('InnoDB: Cannot map '
                        'innodb_buffer_pool_size_max=1000000000m')
    assert 'Aborting' not in lines


def test_mysql8_error_lines():
    assert mysql_app.mysql_error_lines(MYSQL8_LOG) == [
        "unknown variable 'bogus=1'."]


def test_postgres_error_lines_keep_the_cause():
    assert pg_app.postgres_error_lines(POSTGRES_LOG) == [
        'unrecognized configuration parameter "bogus" in file '
        '"/s/etc/base.conf" line 2',
        'configuration file "/s/etc/base.conf" contains errors']


def test_postgres_without_failure_has_no_lines():
    assert pg_app.postgres_error_lines(
        '2026-11-22 LOG:  database system is ready\n') == []
