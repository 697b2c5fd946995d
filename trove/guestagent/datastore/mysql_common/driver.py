"""PyMySQL for the agent, without the RSA half of its authentication.

PyMySQL imports `cryptography` (about 7 MB in every agent, issue 26)
only for MySQL 8's sha256_password and caching_sha2_password over an
unencrypted TCP connection. The agent logs in to its own engine over
the engine's socket (PyMySQL then sends the password as is) with
mysql_native_password, MariaDB's default; so PyMySQL is imported with
`cryptography` hidden, unless something already loaded it. Every agent
module takes PyMySQL from here, so the first import is this one.
"""

import sys


def _import_pymysql():
    if 'pymysql' in sys.modules or 'cryptography' in sys.modules:
        import pymysql
        return pymysql
    # A None entry makes ``import cryptography...`` raise ImportError,
    # which PyMySQL takes as "RSA authentication unavailable".
    sys.modules['cryptography'] = None
    try:
        import pymysql
    finally:
        del sys.modules['cryptography']
    return pymysql


pymysql = _import_pymysql()
