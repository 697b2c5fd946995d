"""Registration of every option group, and the oslo-config-generator hooks.

The global CONF (``trove.conf``) is the exception: its [database] group,
oslo.db's options, is registered by trove.db (trove.conf.database), which
only the processes with a control DB import; the guest agent never loads
oslo.db.

``register_all`` is what ``trove.conf`` calls on import. ``list_opts`` and
``set_lib_defaults`` are the ``oslo.config.opts`` and
``oslo.config.opts.defaults`` entry points that produce
``etc/trove/trove.conf.sample``.
"""

import collections
import importlib

from oslo_config import cfg
from oslo_log import log as logging

from trove.common import messaging_stack

# Modules holding option groups, in the order they appear in the sample.
GROUP_MODULES = (
    'api',
    'service',
    'conductor',
    'secure_messages',
    'guest_broker',
    'instance_tls',
    'timeouts',
    'work',
    'operations',
    'replication',
    'quota',
    'backup',
    'module',
    'compute',
    'guest',
    'guest_engines',
    'local',
    'upgrade_levels',
    'service_credentials',
    'openstack',
    'network',
    'mysql',
    'mariadb',
    'postgresql',
)

CONTROL_EXCHANGE = 'trove'

_registered = set()


def _modules():
    return [importlib.import_module('trove.conf.' + name)
            for name in GROUP_MODULES]


def register_all(conf, control_db=True):
    """Register every option on ``conf`` (idempotent per conf object);
    without ``control_db``, all but oslo.db's [database] group."""
    if id(conf) in _registered:
        return
    _registered.add(id(conf))
    for module in _modules():
        module.register_opts(conf)
    _register_logging(conf)
    if control_db:
        # Imported on demand, as the group modules are: trove.conf itself
        # must not load oslo.db.
        importlib.import_module('trove.conf.database').register_opts(conf)
    _register_messaging(conf)


def _register_messaging(conf):
    """transport_url and control_exchange exist from the start, not only
    once a transport is created, so tools and tests can read and override
    them at any time. The very option objects oslo.messaging registers
    itself are used, so its later registration is a no-op."""
    if messaging_stack.agent_stack():
        # The guest agent's own RPC (trove.common.amqp_rpc) reads the
        # same options under the same names; oslo.messaging is not loaded.
        importlib.import_module('trove.conf.agent_transport').register_opts(
            conf)
        return
    import oslo_messaging
    oslo_messaging.set_transport_defaults(CONTROL_EXCHANGE)
    from oslo_messaging import transport
    conf.register_opts(transport._transport_opts)


def _register_logging(conf):
    try:
        logging.register_options(conf)
    except cfg.ArgsAlreadyParsedError:
        # A tool parsed its own command line before importing us (the
        # oslopolicy-* scripts loading our policy enforcer): register the
        # same options without command-line flags.
        from oslo_log import _options as log_options
        for _group, log_opts in log_options.list_opts():
            conf.register_opts(log_opts)


def list_opts():
    """(group, options) pairs of this project, for oslo-config-generator."""
    merged = collections.OrderedDict()
    for module in _modules():
        for group, opts in module.list_opts().items():
            key = getattr(group, 'name', group)
            if key not in merged:
                merged[key] = (group, [])
            merged[key][1].extend(opts)
    return [(group, opts) for group, opts in merged.values()]


def set_lib_defaults():
    """Library defaults this project changes, shown in the sample."""
    # The generator prints the options' own defaults, which a per-conf
    # set_default does not change; set them on the option objects.
    # Imported here only: the generator is not the guest agent.
    importlib.import_module('trove.conf.database').set_lib_defaults()
    import oslo_messaging
    oslo_messaging.set_transport_defaults(CONTROL_EXCHANGE)
