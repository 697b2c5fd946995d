"""[database]: oslo.db's options of the control database.

Registered by ``trove.db`` (every process that reaches the control DB
imports it), not by ``trove.conf``: the guest agent has no control DB and
must not load oslo.db (issue 26: an agent under 40 MB RSS).
"""

from oslo_config import cfg
from oslo_db import options as db_options

DEFAULT_CONNECTION = 'sqlite:///$state_path/trove.sqlite'

_registered = set()


def register_opts(conf):
    """oslo.db's [database] options on ``conf``, with this project's
    default connection (idempotent per conf object)."""
    if id(conf) in _registered:
        return
    _registered.add(id(conf))
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)


def set_lib_defaults():
    """The default connection on oslo.db's option objects, for the sample
    (the generator prints the options' own defaults)."""
    cfg.set_defaults(db_options.database_opts, connection=DEFAULT_CONNECTION)
