"""Configuration: every option the services read, registered on one CONF.

Each option group lives in its own module with ``register_opts(conf)`` and
``list_opts()``; this package registers them all on import so any service
can do ``from trove.conf import CONF``.
"""

from oslo_config import cfg

from trove.conf import opts

CONF = cfg.CONF
# [database] (oslo.db) is registered by trove.db: the guest agent, which
# imports this but has no control DB, never loads oslo.db.
opts.register_all(CONF, control_db=False)
