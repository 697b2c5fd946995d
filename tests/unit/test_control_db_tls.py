"""PyMySQL builds no TLS context for a control DB on this host.

PyMySQL tries TLS on every connection that names no ``ssl*`` argument,
loading the system's CA certificates each time (about 25 ms of CPU per
new connection, most of a taskmanager's DB cost under concurrent
builds). trove.db.api turns that off for a unix socket or the loopback
only; a remote database and explicit TLS settings keep their behaviour.
"""

import pytest
import sqlalchemy as sa

from trove.db import api


def connect_params(url, **cparams):
    dialect = sa.create_engine(url).dialect
    api._no_tls_on_this_host(dialect, None, [], cparams)
    return cparams


@pytest.mark.parametrize('host', ['127.0.0.1', '127.10.3.4', 'localhost',
                                  '::1'])
def test_no_tls_context_on_this_host(host):
    assert connect_params('mysql+pymysql://u@h/d', host=host)[
        'ssl_disabled'] is True


def test_no_tls_context_over_the_unix_socket():
    assert connect_params('mysql+pymysql://u@/d',
                          unix_socket='/run/mysqld/mysqld.sock')[
        'ssl_disabled'] is True


@pytest.mark.parametrize('host', ['10.0.0.5', 'db.example.org'])
def test_a_database_elsewhere_keeps_pymysqls_default(host):
    assert 'ssl_disabled' not in connect_params('mysql+pymysql://u@h/d',
                                                host=host)


def test_tls_settings_win():
    params = connect_params('mysql+pymysql://u@h/d', host='127.0.0.1',
                            ssl_ca='/etc/ca.pem')
    assert 'ssl_disabled' not in params


def test_other_drivers_are_left_alone():
    assert connect_params('postgresql+psycopg://u@h/d',
                          host='127.0.0.1') == {'host': '127.0.0.1'}

