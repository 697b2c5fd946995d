"""[DEFAULT] options of the guest agent, most injected by the taskmanager.

``guest_info.conf`` (written per instance) carries who the guest is;
``trove-guestagent.conf`` (the operator's ``guest_config`` file, copied
into every instance) carries how to reach the conductor and the engine
settings.
"""

from oslo_config import cfg

guest_opts = [
    cfg.StrOpt('guest_id', help='Id of the instance this agent serves.'),
    cfg.StrOpt('datastore_manager',
               help='Manager of the instance\'s datastore (mariadb, '
                    'mysql, postgresql).'),
    cfg.StrOpt('datastore_version',
               help='Version number of the instance\'s datastore.'),
    cfg.StrOpt('tenant_id', help='Project owning the instance.'),
    cfg.StrOpt('guest_state_dir', default='/opt/trove-guestagent',
               help='Where the agent keeps its own state (prepare markers, '
                    'engine runtime files).'),
    cfg.StrOpt('engine_bind_host', default='0.0.0.0',
               help='Address the engine listens on.'),
    cfg.StrOpt('engine_template_dir', default='',
               help='A directory the guest agents of one host share: the '
                    'first instance of an engine version and set of '
                    'initialisation settings keeps a freshly initialised '
                    'data directory there, and later ones copy it instead '
                    'of initialising their own (MariaDB). Empty: every '
                    'instance initialises its own. The local provider '
                    'sets it; on a cloud each instance is alone on its '
                    'server.'),
    cfg.StrOpt('guest_config', default='/etc/trove/trove-guestagent.conf',
               help='Controller: file copied into each instance as its '
                    'trove-guestagent.conf.'),
    cfg.StrOpt('guest_info', default='guest_info.conf',
               help='Controller: name of the per-instance file telling the '
                    'agent who it is.'),
    cfg.StrOpt('injected_config_location', default='/etc/trove/conf.d',
               help='Where the injected files land in a server.'),
    cfg.StrOpt('template_path', default='/etc/trove/templates/',
               help='Controller: directory searched for datastore config '
                    'templates before the packaged ones.'),
    cfg.IntOpt('conductor_unroutable_resend_timeout', default=900, min=0,
               help='Seconds a guest agent keeps sending again a message '
                    'the broker could not route to the conductor\'s queue '
                    '(after a broker restart, until a conductor has '
                    'declared its queue again): a backup\'s result or a '
                    'fault is not lost meanwhile. A heartbeat or a '
                    'backup\'s progress is sent again for a few seconds '
                    'at most (the next one replaces it). 0 sends nothing '
                    'again.'),
]


def register_opts(conf):
    conf.register_opts(guest_opts)


def list_opts():
    return {'DEFAULT': guest_opts}
